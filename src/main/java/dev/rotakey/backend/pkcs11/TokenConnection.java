package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.BackendConnection.Failure;
import dev.rotakey.backend.KeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.security.auth.login.LoginException;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A backend's logged-in connection to its token: everything an operation needs, built once when the
 * backend connects, so that no operation looks anything up on the token. The KeyStore is kept only
 * for signing-key creation, first look-ups and destruction, always under the token's lock; the
 * handles it gave out are cached in {@code signingKeys}.
 */
record TokenConnection(String tokenKey, AuthProvider provider, KeyStore store, Key hmacKey,
                       SecureRandom random, ThreadLocal<Mac> macs,
                       ConcurrentMap<String, StoredKey> signingKeys) {
    private static final Logger LOG = LoggerFactory.getLogger(TokenConnection.class);
    static final String MAC_ALGORITHM = "HmacSHA256";
    private static final int HMAC_KEY_BITS = 256;

    /** A persisted signing key's token handle, read from the KeyStore once. */
    record StoredKey(KeySpec spec, PublicKey publicKey, PrivateKey privateKey) {
    }

    /**
     * Finds the token, logs in, makes sure the HMAC key exists and checks that the key, the MAC
     * mechanism and the RNG work, so a problem shows at start-up rather than on the first credential.
     */
    static TokenConnection open(TokenLocator locator, PinLogin login, char[] pin, String hmacKeyLabel)
            throws TokenUnusableException {
        Pkcs11Module.Token token = locator.find();
        login.refuseIfLocked(token);
        AuthProvider provider = locator.configure(token);
        String tokenKey = TokenLogins.tokenKey(locator.library(), token.slotId());
        synchronized (TokenLogins.lock(tokenKey)) {
            KeyStore store = login.logIn(provider, pin);
            TokenLogins.acquired(tokenKey);
            try {
                Key key = findOrCreateKey(locator, store, provider, hmacKeyLabel);
                TokenConnection c = new TokenConnection(tokenKey, provider, store, key,
                        SecureRandom.getInstance("PKCS11", provider), new ThreadLocal<>(), new ConcurrentHashMap<>());
                c.mac().doFinal(new byte[0]);
                c.random().nextBytes(new byte[16]);
                return c;
            } catch (GeneralSecurityException | RuntimeException e) {
                release(locator, tokenKey, provider);
                throw new TokenUnusableException(Failure.UNAVAILABLE, "HMAC key '" + hmacKeyLabel + "' on token '"
                        + locator.tokenLabel() + "' is not usable (" + Pkcs11Module.describe(e) + ")", e);
            }
        }
    }

    /** This thread's MAC under the HMAC key, initialised once. */
    Mac mac() throws GeneralSecurityException {
        Mac mac = macs.get();
        if (mac == null) {
            mac = Mac.getInstance(MAC_ALGORITHM, provider);
            mac.init(hmacKey);
            macs.set(mac);
        }
        return mac;
    }

    /** Lets go of the login: the token is logged out only when no other backend of this JVM still uses it. */
    void release(TokenLocator locator) {
        release(locator, tokenKey, provider);
    }

    private static void release(TokenLocator locator, String tokenKey, AuthProvider provider) {
        synchronized (TokenLogins.lock(tokenKey)) {
            if (!TokenLogins.released(tokenKey)) {
                return;
            }
            try {
                provider.logout();
            } catch (LoginException | ProviderException e) {
                LOG.warn("Key backend '{}' could not log out of token '{}' ({})", locator.backendName(), locator.tokenLabel(),
                        Pkcs11Module.describe(e), e);
            }
        }
    }

    /**
     * Looks the key up once, and creates it when absent: generated as a session object and then
     * stored by the KeyStore (generating it with CKA_TOKEN=true leaves unlabelled objects), then
     * read back so the cached handle is the token object's. Two processes starting on an empty
     * token at the same moment could both create one; within this JVM the token lock prevents it.
     */
    private static Key findOrCreateKey(TokenLocator locator, KeyStore store, Provider provider, String hmacKeyLabel)
            throws GeneralSecurityException {
        Key existing = store.getKey(hmacKeyLabel, null);
        if (existing != null) {
            if (!(existing instanceof SecretKey)) {
                throw new GeneralSecurityException("the object labelled '" + hmacKeyLabel + "' is not a secret key");
            }
            return existing;
        }
        KeyGenerator generator = KeyGenerator.getInstance(MAC_ALGORITHM, provider);
        generator.init(HMAC_KEY_BITS);
        store.setEntry(hmacKeyLabel, new KeyStore.SecretKeyEntry(generator.generateKey()), null);
        Key stored = store.getKey(hmacKeyLabel, null);
        if (stored == null) {
            throw new GeneralSecurityException("HMAC key '" + hmacKeyLabel + "' is missing right after it was stored");
        }
        LOG.info("Key backend '{}' created HMAC key '{}' on token '{}'", locator.backendName(), hmacKeyLabel,
                locator.tokenLabel());
        return stored;
    }
}
