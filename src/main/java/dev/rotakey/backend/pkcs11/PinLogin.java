package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.BackendConnection.Failure;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.SecretUnavailableException;

import javax.security.auth.login.FailedLoginException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.UnrecoverableKeyException;
import java.util.Arrays;
import java.util.Set;

/**
 * One PKCS#11 backend's user PIN and the policy on it. The PIN read at build time serves the first
 * start; later logins re-read the source (it may have been fixed). A PIN the token rejected is never
 * offered to it again, since tokens lock after a few wrong PINs: only its salted digest is kept, to
 * recognise it. Not thread-safe: the backend calls it under its connection's lock.
 */
final class PinLogin {
    private static final Set<String> PIN_REJECTED = Set.of("CKR_PIN_INCORRECT", "CKR_PIN_INVALID", "CKR_PIN_LEN_RANGE");
    private static final Set<String> AUTHENTICATION_CODES = Set.of("CKR_PIN_INCORRECT", "CKR_PIN_INVALID",
            "CKR_PIN_LEN_RANGE", "CKR_PIN_EXPIRED", "CKR_PIN_LOCKED", "CKR_USER_NOT_LOGGED_IN",
            "CKR_USER_PIN_NOT_INITIALIZED");

    private final String tokenLabel;
    private final SecretSource pinSource;
    private final String pinKey;
    private final byte[] pinSalt = new byte[16];

    private char[] pendingPin;
    private byte[] rejectedPinDigest;

    /**
     * @param pinKey the config key of the PIN source, named in messages ({@code keyBackends.hsm.pin})
     * @param pin    the PIN read by the factory; owned here and cleared after the first login
     */
    PinLogin(String tokenLabel, SecretSource pinSource, String pinKey, char[] pin) {
        this.tokenLabel = tokenLabel;
        this.pinSource = pinSource;
        this.pinKey = pinKey;
        this.pendingPin = pin;
        new SecureRandom().nextBytes(pinSalt);
    }

    /** Whether a PKCS#11 return value means the token refused Rotakey's login or PIN (not retried). */
    static boolean isAuthenticationCode(String code) {
        return AUTHENTICATION_CODES.contains(code);
    }

    /** The PIN read at build time for the first start, afterwards a fresh read of the source. The caller clears it. */
    char[] takePin() throws TokenUnusableException {
        char[] pin = pendingPin;
        pendingPin = null;
        if (pin != null) {
            return pin;
        }
        try {
            return pinSource.read(pinKey);
        } catch (SecretUnavailableException e) {
            throw new TokenUnusableException(Failure.UNAVAILABLE, e.getMessage(), null);
        } catch (RuntimeException e) {
            throw new TokenUnusableException(Failure.UNAVAILABLE,
                    pinKey + ": cannot read the PIN (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** Refuses, without calling the token, a PIN it rejected before. */
    void refuseIfRejected(char[] pin) throws TokenUnusableException {
        if (rejectedPinDigest != null && MessageDigest.isEqual(rejectedPinDigest, pinDigest(pin))) {
            throw new TokenUnusableException(Failure.AUTHENTICATION, "PIN rejected by token '" + tokenLabel + "' and "
                    + pinKey + " still gives the same PIN: not trying it again, since tokens lock after repeated"
                    + " wrong PINs; correct the PIN, then reconnect", null);
        }
    }

    /** Refuses a token whose user PIN is locked: only its security officer can help. */
    void refuseIfLocked(Pkcs11Module.Token token) throws TokenUnusableException {
        if (token.has(Pkcs11Module.CKF_USER_PIN_LOCKED)) {
            throw new TokenUnusableException(Failure.AUTHENTICATION, "the user PIN of token '" + tokenLabel
                    + "' is locked: unlock it with the SO PIN", null);
        }
    }

    /** Logs in to the token through its provider's KeyStore; a rejected PIN is remembered and not tried again. */
    KeyStore logIn(AuthProvider provider, char[] pin) throws TokenUnusableException {
        try {
            KeyStore store = KeyStore.getInstance("PKCS11", provider);
            store.load(null, pin);
            return store;
        } catch (IOException e) {
            String code = Pkcs11Module.describe(e);
            if (pinRejected(e, code)) {
                rejectedPinDigest = pinDigest(pin);
                throw new TokenUnusableException(Failure.AUTHENTICATION, "PIN rejected by token '" + tokenLabel
                        + "' (" + code + "); it is not tried again until " + pinKey + " changes", e);
            }
            if (isAuthenticationCode(code)) {
                throw new TokenUnusableException(Failure.AUTHENTICATION, "login to token '" + tokenLabel
                        + "' refused (" + code + ")", e);
            }
            throw new TokenUnusableException(Failure.UNAVAILABLE, "cannot log in to token '" + tokenLabel
                    + "' (" + code + ")", e);
        } catch (GeneralSecurityException | ProviderException e) {
            throw new TokenUnusableException(Failure.UNAVAILABLE, "cannot open the key store of token '"
                    + tokenLabel + "' (" + Pkcs11Module.describe(e) + ")", e);
        }
    }

    /** The token accepted a PIN: a later rejection is judged afresh. */
    void accepted() {
        rejectedPinDigest = null;
    }

    /** Clears a PIN not used yet (the backend closed before its first login). */
    void clear() {
        if (pendingPin != null) {
            Arrays.fill(pendingPin, '\0');
            pendingPin = null;
        }
    }

    private static boolean pinRejected(Throwable e, String code) {
        if (PIN_REJECTED.contains(code)) {
            return true;
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            // P11KeyStore reports CKR_PIN_INCORRECT as an UnrecoverableKeyException around a FailedLoginException.
            if (c instanceof FailedLoginException || c instanceof UnrecoverableKeyException) {
                return true;
            }
        }
        return false;
    }

    /** Salted so equal PINs of different backends differ; only ever compared, never stored elsewhere. */
    private byte[] pinDigest(char[] pin) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(pin));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        if (encoded.hasArray()) {
            Arrays.fill(encoded.array(), (byte) 0);
        }
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(pinSalt);
            return sha256.digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }
}
