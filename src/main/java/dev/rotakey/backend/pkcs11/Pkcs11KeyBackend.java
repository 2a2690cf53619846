package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.BackendConnection;
import dev.rotakey.backend.BackendConnection.Failure;
import dev.rotakey.backend.BackendSigningKey;
import dev.rotakey.backend.BackendStatus;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.backend.pkcs11.TokenConnection.StoredKey;
import dev.rotakey.config.SecretSource;
import org.bouncycastle.operator.OperatorCreationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A {@link KeyBackend} on a PKCS#11 token, through the JDK's SunPKCS11 provider: random bytes
 * from the token's RNG and HMAC-SHA256 under a sensitive, never-extractable generic secret key
 * that lives on the token.
 *
 * <p>The token is found by label (slot ids change; {@link TokenLocator}). Login state is per
 * process in PKCS#11: a second backend on a token this JVM is already logged in to is not asked for
 * its PIN by the token, and only the last backend on a token logs out (see {@link TokenLogins}). A
 * PIN the token rejected is never tried again ({@link PinLogin}): {@link #reconnect()} re-reads the
 * PIN source and refuses without touching the token while it yields the same PIN, because tokens
 * lock after a few wrong PINs; for the same reason the backend never reconnects on its own. Key
 * handles, the RNG and the HMAC key's session copy are cached in the {@link TokenConnection}: the
 * PKCS#11 KeyStore scans every token object on each lookup, so it is used only while starting and
 * to create, first look up and destroy {@linkplain SigningKey signing keys}, never per signature.
 */
public final class Pkcs11KeyBackend implements KeyBackend {
    private static final Logger LOG = LoggerFactory.getLogger(Pkcs11KeyBackend.class);

    static final String TYPE = "pkcs11";
    /** Aliases become the private key's CKA_ID, the certificate's CKA_LABEL and its subject: keep them to characters that need no escaping. */
    private static final Pattern SIGNING_KEY_ALIAS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}");

    private final String name;
    private final String library;
    private final String tokenLabel;
    private final String hmacKeyLabel;
    private final SecretSource pinSource;
    private final TokenLocator locator;
    /** Guarded by {@code state}'s lock: only start, reconnect and close use it. */
    private final PinLogin login;
    private final BackendConnection<TokenConnection> state;
    /** Made once: {@link #hmac} passes it on every call. */
    private final java.util.function.Supplier<BackendStatus> upStatus = this::upStatus;

    /**
     * @param pinKey the config key of the PIN source, named in messages ({@code keyBackends.hsm.pin})
     * @param pin    the PIN read by the factory; the backend owns and clears it after the first login
     */
    Pkcs11KeyBackend(String name, String library, String tokenLabel, String hmacKeyLabel,
                     SecretSource pinSource, String pinKey, char[] pin) {
        this.name = name;
        this.library = library;
        this.tokenLabel = tokenLabel;
        this.hmacKeyLabel = hmacKeyLabel;
        this.pinSource = pinSource;
        this.locator = new TokenLocator(name, library, tokenLabel);
        this.login = new PinLogin(tokenLabel, pinSource, pinKey, pin);
        // Never on demand: connecting again on its own could spend the few wrong PINs a token allows.
        this.state = BackendConnection.connectedOnRequest(name, LOG);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public void start() {
        state.start(() -> {
            char[] pin = takePin();
            if (pin != null) {
                connect(pin);
            }
        });
    }

    /**
     * Connects again when offline, or when operations have been failing on an open connection
     * (a fresh provider after a device error). Re-reads the PIN source; a PIN the token rejected
     * before is refused here without calling the token.
     */
    @Override
    public BackendStatus reconnect() {
        return state.reconnect(current -> {
            char[] pin = takePin();
            if (pin == null) {
                return;
            }
            if (current != null) {
                state.disconnect();
                current.release(locator);
            }
            connect(pin);
        });
    }

    @Override
    public byte[] randomBytes(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length must not be negative");
        }
        TokenConnection c = state.require("randomBytes");
        byte[] out = new byte[length];
        try {
            c.random().nextBytes(out);
        } catch (RuntimeException e) {
            throw operationFailed("randomBytes", c, e);
        }
        state.recovered(c, this::upStatus);
        return out;
    }

    @Override
    public byte[] hmac(byte[] data) {
        Objects.requireNonNull(data, "data");
        TokenConnection c = state.require("hmac");
        byte[] digest;
        try {
            digest = c.hmac().hmac(data);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw operationFailed("hmac", c, e);
        }
        state.recovered(c, upStatus);
        return digest;
    }

    @Override
    public SigningKey createSigningKey(String alias, KeySpec spec) {
        checkAlias(alias);
        Objects.requireNonNull(spec, "spec");
        TokenConnection c = state.require("createSigningKey");
        StoredKey stored;
        // The failure is handled outside the token lock: marking the backend down takes the state's lock, which
        // reconnect holds while it waits for the token lock.
        Exception failure = null;
        synchronized (TokenLogins.lock(c.tokenKey())) {
            try {
                if (c.signingKeys().containsKey(alias) || c.store().containsAlias(alias)) {
                    throw new KeyBackendException("key '" + alias + "' already exists on token '" + tokenLabel + "'");
                }
                stored = c.generate(alias, spec);
                c.signingKeys().put(alias, stored);
            } catch (GeneralSecurityException | OperatorCreationException | RuntimeException e) {
                stored = null;
                failure = e;
            }
        }
        if (failure != null) {
            throw operationFailed("createSigningKey", c, failure);
        }
        state.recovered(c, this::upStatus);
        LOG.info("Key backend '{}' created signing key '{}' ({}) on token '{}'", name, alias, spec, tokenLabel);
        return new Pkcs11SigningKey(alias, spec, stored.publicKey());
    }

    /** Without a cached handle, asks the KeyStore (a scan of the token); absent aliases are not cached, another process may create them. */
    @Override
    public Optional<SigningKey> signingKey(String alias) {
        checkAlias(alias);
        TokenConnection c = state.require("signingKey");
        Optional<StoredKey> stored;
        try {
            stored = c.storedKey(alias);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw operationFailed("signingKey", c, e);
        }
        state.recovered(c, this::upStatus);
        return stored.map(k -> new Pkcs11SigningKey(alias, k.spec(), k.publicKey()));
    }

    /** One scan of the token's objects: for start-up sweeps, never per operation. */
    @Override
    public List<String> signingKeyAliases(String prefix) {
        TokenConnection c = state.require("signingKeyAliases");
        Exception failure;
        synchronized (TokenLogins.lock(c.tokenKey())) {
            try {
                c.rescan();
                List<String> aliases = new ArrayList<>();
                for (String alias : Collections.list(c.store().aliases())) {
                    if (alias.startsWith(prefix) && c.store().entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                        aliases.add(alias);
                    }
                }
                return aliases;
            } catch (GeneralSecurityException | RuntimeException e) {
                failure = e;
            }
        }
        // Outside the token lock, as in createSigningKey.
        throw operationFailed("signingKeyAliases", c, failure);
    }

    @Override
    public void destroySigningKey(String alias) {
        checkAlias(alias);
        TokenConnection c = state.require("destroySigningKey");
        Exception failure = null;
        synchronized (TokenLogins.lock(c.tokenKey())) {
            try {
                // Drop the handle first: a half-finished deletion must not leave a handle that looks usable.
                c.signingKeys().remove(alias);
                if (!c.store().containsAlias(alias)) {
                    // Made by another process on the token since this one last read it, perhaps.
                    c.rescan();
                }
                if (!c.store().containsAlias(alias)) {
                    return;
                }
                if (!c.store().entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                    throw new KeyBackendException("key '" + alias + "' on token '" + tokenLabel
                            + "' is not a signing key: not destroyed");
                }
                c.store().deleteEntry(alias);
            } catch (GeneralSecurityException | RuntimeException e) {
                failure = e;
            }
        }
        if (failure != null) {
            // Outside the token lock, as in createSigningKey.
            throw operationFailed("destroySigningKey", c, failure);
        }
        state.recovered(c, this::upStatus);
        LOG.info("Key backend '{}' destroyed signing key '{}' on token '{}'", name, alias, tokenLabel);
    }

    /** Signs with the current connection's handle, so a key obtained before a reconnect keeps working after it. */
    private byte[] sign(String alias, KeySpec spec, byte[] data) {
        Objects.requireNonNull(data, "data");
        TokenConnection c = state.require("sign");
        byte[] signature;
        try {
            StoredKey stored = c.storedKey(alias).orElseThrow(() -> new KeyBackendException(
                    "signing key '" + alias + "' no longer exists on token '" + tokenLabel + "'"));
            if (stored.spec() != spec) {
                throw new KeyBackendException("key '" + alias + "' on token '" + tokenLabel + "' is now a "
                        + stored.spec() + " key, not " + spec);
            }
            Signature signer = Signature.getInstance(spec.signatureAlgorithm(), c.provider());
            signer.initSign(stored.privateKey());
            signer.update(data);
            signature = signer.sign();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw operationFailed("sign", c, e);
        }
        state.recovered(c, this::upStatus);
        return signature;
    }

    private static void checkAlias(String alias) {
        Objects.requireNonNull(alias, "alias");
        if (!SIGNING_KEY_ALIAS.matcher(alias).matches()) {
            throw new IllegalArgumentException("signing key alias must be 1 to 100 letters, digits, '_', '.', ':'"
                    + " or '-', starting with a letter or digit");
        }
    }

    /** A signing key of this backend: only the alias, spec and public key; the handle stays in the connection. */
    private final class Pkcs11SigningKey extends BackendSigningKey {
        Pkcs11SigningKey(String alias, KeySpec spec, PublicKey publicKey) {
            super(name, alias, spec, publicKey);
        }

        @Override
        public byte[] sign(byte[] data) {
            return Pkcs11KeyBackend.this.sign(alias(), spec(), data);
        }
    }

    @Override
    public String keyUri(String alias) {
        return "pkcs11:token=" + Pkcs11Uri.encode(tokenLabel) + ";object=" + Pkcs11Uri.encode(alias) + ";type=private";
    }

    @Override
    public String hmacKeyId() {
        return "pkcs11:" + tokenLabel + "/" + hmacKeyLabel;
    }

    /** The open connection, or null: for the tests of this package. */
    TokenConnection connection() {
        return state.current();
    }

    @Override
    public BackendStatus status() {
        return state.status();
    }

    @Override
    public void close() {
        state.close(last -> {
            login.clear();
            if (last != null) {
                last.release(locator);
            }
        });
    }

    @Override
    public String toString() {
        return "Pkcs11KeyBackend{name=" + name + ", library=" + library + ", tokenLabel=" + tokenLabel
                + ", hmacKeyLabel=" + hmacKeyLabel + ", pin=" + pinSource + ", status=" + state.status() + "}";
    }

    /** The PIN to log in with, or null when it cannot be read (the backend is then offline, saying why). */
    private char[] takePin() {
        try {
            return login.takePin();
        } catch (TokenUnusableException e) {
            state.offline(e.failure(), e.getMessage(), e.getCause());
            return null;
        }
    }

    private void connect(char[] pin) {
        try {
            login.refuseIfRejected(pin);
            TokenConnection c = TokenConnection.open(locator, login, pin, hmacKeyLabel);
            state.connected(c, upStatus());
            login.accepted();
            LOG.info("Key backend '{}' is online: token '{}', HMAC key '{}'", name, tokenLabel, hmacKeyLabel);
        } catch (TokenUnusableException e) {
            state.offline(e.failure(), e.getMessage(), e.getCause());
        } catch (RuntimeException | LinkageError e) {
            state.offline(Failure.UNAVAILABLE, "unexpected error opening token '" + tokenLabel + "' ("
                    + Pkcs11Module.describe(e) + ")", e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    /**
     * Keeps the connection (a transient device error may pass) but reports the backend down until
     * an operation succeeds again or {@link #reconnect()} opens a fresh one. A refusal of Rotakey's
     * own ({@link KeyBackendException}: an alias taken, a key gone) is passed on as it is.
     */
    private KeyBackendException operationFailed(String operation, TokenConnection used, Exception e) {
        if (e instanceof KeyBackendException refusal) {
            return refusal;
        }
        String code = Pkcs11Module.describe(e);
        Failure failure = PinLogin.isAuthenticationCode(code) ? Failure.AUTHENTICATION : Failure.UNAVAILABLE;
        String message = state.failed(used, operation, failure,
                operation + " on token '" + tokenLabel + "' failed (" + code + ")", e);
        return failure.exception(message, e);
    }

    private BackendStatus upStatus() {
        return BackendStatus.up("token '" + tokenLabel + "', HMAC key '" + hmacKeyLabel + "'");
    }
}
