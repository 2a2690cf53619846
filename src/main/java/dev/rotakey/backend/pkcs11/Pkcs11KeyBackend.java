package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.BackendStatus;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendAuthenticationException;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.SecretUnavailableException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.InvalidParameterException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A {@link KeyBackend} on a PKCS#11 token, through the JDK's SunPKCS11 provider: random bytes
 * from the token's RNG and HMAC-SHA256 under a sensitive, never-extractable generic secret key
 * that lives on the token.
 *
 * <p>The token is found by label (slot ids change). Login state is per process in PKCS#11: a
 * second backend on a token this JVM is already logged in to is not asked for its PIN by the
 * token, and only the last backend on a token logs out (see {@link TokenLogins}). A PIN the
 * token rejected is never tried again: {@link #reconnect()} re-reads the PIN source and
 * refuses without touching the token while it yields the same PIN, because tokens lock after a
 * few wrong PINs. Key handles, the RNG and per-thread {@link Mac}s are cached: the PKCS#11
 * KeyStore scans every token object on each lookup, so it is used only while starting and to
 * create, first look up and destroy {@linkplain SigningKey signing keys}, never per signature.
 *
 * <p>Signing keys are generated as session objects under a sensitive, never-extractable template
 * and then stored by the KeyStore, which needs a certificate chain for a private key: each gets
 * its own placeholder self-signed certificate with a unique subject, so deleting one entry never
 * takes another entry's certificate with it (the KeyStore deletes issuer certificates it finds
 * by subject).
 */
public final class Pkcs11KeyBackend implements KeyBackend {
    private static final Logger LOG = LoggerFactory.getLogger(Pkcs11KeyBackend.class);

    static final String TYPE = "pkcs11";
    private static final String MAC_ALGORITHM = "HmacSHA256";
    private static final int HMAC_KEY_BITS = 256;
    private static final Set<String> PIN_REJECTED = Set.of("CKR_PIN_INCORRECT", "CKR_PIN_INVALID", "CKR_PIN_LEN_RANGE");
    private static final Set<String> AUTHENTICATION_CODES = Set.of("CKR_PIN_INCORRECT", "CKR_PIN_INVALID",
            "CKR_PIN_LEN_RANGE", "CKR_PIN_EXPIRED", "CKR_PIN_LOCKED", "CKR_USER_NOT_LOGGED_IN",
            "CKR_USER_PIN_NOT_INITIALIZED");
    private static final BackendStatus NOT_STARTED = BackendStatus.down("not started");
    private static final BackendStatus CLOSED = BackendStatus.down("closed");
    /** Aliases become the private key's CKA_ID, the certificate's CKA_LABEL and its subject: keep them to characters that need no escaping. */
    private static final Pattern SIGNING_KEY_ALIAS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}");
    /** RFC 5280's "no well-defined expiration date": the placeholder is never a trust anchor, only a KeyStore requirement. */
    private static final Date PLACEHOLDER_NOT_AFTER = Date.from(Instant.parse("9999-12-31T23:59:59Z"));

    /** Which exception an offline backend's operations throw: retryable, or not (a PIN problem). */
    private enum Kind { UNAVAILABLE, AUTHENTICATION }

    /** Why the backend is offline; the message goes into the status and exceptions, so it names no secret. */
    private static final class Failure extends Exception {
        final Kind kind;

        Failure(Kind kind, String message, Throwable cause) {
            super(message, cause);
            this.kind = kind;
        }
    }

    /** The status together with whether an offline backend failed on authentication, read in one volatile load. */
    private record State(BackendStatus status, Kind offlineKind) {
    }

    /** A persisted signing key's token handle, read from the KeyStore once. */
    private record StoredKey(KeySpec spec, PublicKey publicKey, PrivateKey privateKey) {
    }

    /**
     * Everything an operation needs, built once by {@link #start()}: no token lookups per operation.
     * The KeyStore is kept only for signing-key creation, first lookups and destruction, always under
     * the token's lock; the handles it gave out are cached in {@code signingKeys}.
     */
    private record Connection(String tokenKey, AuthProvider provider, KeyStore store, Key hmacKey,
                              SecureRandom random, ThreadLocal<Mac> macs,
                              ConcurrentMap<String, StoredKey> signingKeys) {
        Mac mac() throws GeneralSecurityException {
            Mac mac = macs.get();
            if (mac == null) {
                mac = Mac.getInstance(MAC_ALGORITHM, provider);
                mac.init(hmacKey);
                macs.set(mac);
            }
            return mac;
        }
    }

    private final String name;
    private final String library;
    private final String tokenLabel;
    private final String hmacKeyLabel;
    private final SecretSource pinSource;
    private final String pinKey;
    private final byte[] pinSalt = new byte[16];

    // Guarded by this.
    private char[] pendingPin;
    private byte[] rejectedPinDigest;
    private boolean closed;

    private volatile Connection connection;
    private volatile State state = new State(NOT_STARTED, Kind.UNAVAILABLE);

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
        this.pinKey = pinKey;
        this.pendingPin = pin;
        new SecureRandom().nextBytes(pinSalt);
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
    public synchronized void start() {
        if (closed || connection != null) {
            return;
        }
        char[] pin = takePin();
        if (pin != null) {
            connect(pin);
        }
    }

    /**
     * Connects again when offline, or when operations have been failing on an open connection
     * (a fresh provider after a device error). Re-reads the PIN source; a PIN the token rejected
     * before is refused here without calling the token.
     */
    @Override
    public synchronized BackendStatus reconnect() {
        if (closed) {
            return state.status();
        }
        Connection current = connection;
        if (current != null && state.status().healthy()) {
            return state.status();
        }
        char[] pin = takePin();
        if (pin == null) {
            return state.status();
        }
        if (current != null) {
            connection = null;
            release(current.tokenKey(), current.provider());
        }
        connect(pin);
        return state.status();
    }

    @Override
    public byte[] randomBytes(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length must not be negative");
        }
        Connection c = online("randomBytes");
        byte[] out = new byte[length];
        try {
            c.random().nextBytes(out);
        } catch (RuntimeException e) {
            throw operationFailed("randomBytes", c, e);
        }
        recovered(c);
        return out;
    }

    @Override
    public byte[] hmac(byte[] data) {
        Objects.requireNonNull(data, "data");
        Connection c = online("hmac");
        byte[] digest;
        try {
            digest = c.mac().doFinal(data);
        } catch (GeneralSecurityException | RuntimeException e) {
            // A Mac whose operation failed half-way is not trusted again on this thread.
            c.macs().remove();
            throw operationFailed("hmac", c, e);
        }
        recovered(c);
        return digest;
    }

    @Override
    public SigningKey createSigningKey(String alias, KeySpec spec) {
        checkAlias(alias);
        Objects.requireNonNull(spec, "spec");
        Connection c = online("createSigningKey");
        StoredKey stored;
        synchronized (TokenLogins.lock(c.tokenKey())) {
            try {
                if (c.signingKeys().containsKey(alias) || c.store().containsAlias(alias)) {
                    throw new KeyBackendException("key '" + alias + "' already exists on token '" + tokenLabel + "'");
                }
                stored = generate(c, alias, spec);
            } catch (GeneralSecurityException | OperatorCreationException | RuntimeException e) {
                if (e instanceof KeyBackendException k) {
                    throw k;
                }
                throw operationFailed("createSigningKey", c, e);
            }
            c.signingKeys().put(alias, stored);
        }
        recovered(c);
        LOG.info("Key backend '{}' created signing key '{}' ({}) on token '{}'", name, alias, spec, tokenLabel);
        return new Pkcs11SigningKey(alias, spec, stored.publicKey());
    }

    /** Without a cached handle, asks the KeyStore (a scan of the token); absent aliases are not cached, another process may create them. */
    @Override
    public Optional<SigningKey> signingKey(String alias) {
        checkAlias(alias);
        Connection c = online("signingKey");
        Optional<StoredKey> stored;
        try {
            stored = storedKey(c, alias);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw operationFailed("signingKey", c, e);
        }
        recovered(c);
        return stored.map(k -> new Pkcs11SigningKey(alias, k.spec(), k.publicKey()));
    }

    /** One scan of the token's objects: for start-up sweeps, never per operation. */
    @Override
    public List<String> signingKeyAliases(String prefix) {
        Connection c = online("signingKeyAliases");
        synchronized (TokenLogins.lock(c.tokenKey())) {
            try {
                List<String> aliases = new java.util.ArrayList<>();
                for (String alias : java.util.Collections.list(c.store().aliases())) {
                    if (alias.startsWith(prefix) && c.store().entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                        aliases.add(alias);
                    }
                }
                return aliases;
            } catch (GeneralSecurityException | RuntimeException e) {
                throw operationFailed("signingKeyAliases", c, e);
            }
        }
    }

    @Override
    public void destroySigningKey(String alias) {
        checkAlias(alias);
        Connection c = online("destroySigningKey");
        synchronized (TokenLogins.lock(c.tokenKey())) {
            try {
                // Drop the handle first: a half-finished deletion must not leave a handle that looks usable.
                c.signingKeys().remove(alias);
                if (!c.store().containsAlias(alias)) {
                    return;
                }
                if (!c.store().entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                    throw new KeyBackendException("key '" + alias + "' on token '" + tokenLabel
                            + "' is not a signing key: not destroyed");
                }
                c.store().deleteEntry(alias);
            } catch (GeneralSecurityException | RuntimeException e) {
                if (e instanceof KeyBackendException k) {
                    throw k;
                }
                throw operationFailed("destroySigningKey", c, e);
            }
        }
        recovered(c);
        LOG.info("Key backend '{}' destroyed signing key '{}' on token '{}'", name, alias, tokenLabel);
    }

    /** Signs with the current connection's handle, so a key obtained before a reconnect keeps working after it. */
    private byte[] sign(String alias, KeySpec spec, byte[] data) {
        Objects.requireNonNull(data, "data");
        Connection c = online("sign");
        byte[] signature;
        try {
            StoredKey stored = storedKey(c, alias).orElseThrow(() -> new KeyBackendException(
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
            if (e instanceof KeyBackendException k) {
                throw k;
            }
            throw operationFailed("sign", c, e);
        }
        recovered(c);
        return signature;
    }

    private Optional<StoredKey> storedKey(Connection c, String alias) throws GeneralSecurityException {
        StoredKey cached = c.signingKeys().get(alias);
        if (cached != null) {
            return Optional.of(cached);
        }
        synchronized (TokenLogins.lock(c.tokenKey())) {
            cached = c.signingKeys().get(alias);
            if (cached != null) {
                return Optional.of(cached);
            }
            Optional<StoredKey> read = readStoredKey(c.store(), alias);
            read.ifPresent(k -> c.signingKeys().put(alias, k));
            return read;
        }
    }

    /** The public key comes from the entry's certificate, so it is a plain JDK key, usable without the token. */
    private static Optional<StoredKey> readStoredKey(KeyStore store, String alias) throws GeneralSecurityException {
        if (!store.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
            return Optional.empty();
        }
        Key key = store.getKey(alias, null);
        Certificate certificate = store.getCertificate(alias);
        if (!(key instanceof PrivateKey privateKey) || certificate == null) {
            return Optional.empty();
        }
        PublicKey publicKey = certificate.getPublicKey();
        return KeySpec.of(publicKey).map(spec -> new StoredKey(spec, publicKey, privateKey));
    }

    /**
     * Generates the pair as session objects, stores the private key with a placeholder certificate
     * (the KeyStore copies it to a token object), and reads the token object's handle back. The
     * session pair is only referenced by locals: once they go, the provider destroys its objects,
     * which would otherwise lengthen every KeyStore scan.
     */
    private StoredKey generate(Connection c, String alias, KeySpec spec)
            throws GeneralSecurityException, OperatorCreationException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(spec.keyAlgorithm(), c.provider());
        AlgorithmParameterSpec parameters = spec.curve()
                .<AlgorithmParameterSpec>map(ECGenParameterSpec::new)
                .orElseGet(() -> new RSAKeyGenParameterSpec(spec.keySize(), RSAKeyGenParameterSpec.F4));
        generator.initialize(parameters, c.random());
        KeyPair pair = generator.generateKeyPair();
        X509Certificate placeholder = placeholderCertificate(c, alias, spec, pair);
        c.store().setKeyEntry(alias, pair.getPrivate(), null, new Certificate[] {placeholder});
        Optional<StoredKey> stored = readStoredKey(c.store(), alias);
        if (stored.isEmpty()) {
            throw new GeneralSecurityException("signing key '" + alias + "' is missing right after it was stored");
        }
        return stored.get();
    }

    /**
     * A self-signed certificate signed inside the token by the new key. Its subject carries the
     * alias and a random serial so no two placeholders share a subject: the KeyStore, deleting an
     * entry, also deletes a certificate whose subject is the deleted certificate's issuer.
     */
    private static X509Certificate placeholderCertificate(Connection c, String alias, KeySpec spec, KeyPair pair)
            throws GeneralSecurityException, OperatorCreationException {
        byte[] serialBytes = new byte[16];
        c.random().nextBytes(serialBytes);
        BigInteger serial = new BigInteger(1, serialBytes).setBit(127);
        X500Name subject = new X500Name("CN=" + alias + ",OU=" + serial.toString(16)
                + ",O=Rotakey placeholder");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(subject, serial,
                Date.from(now.minus(1, ChronoUnit.MINUTES)), PLACEHOLDER_NOT_AFTER, subject,
                SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded()));
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder(spec.signatureAlgorithm()).setProvider(c.provider())
                        .build(pair.getPrivate())));
    }

    private static void checkAlias(String alias) {
        Objects.requireNonNull(alias, "alias");
        if (!SIGNING_KEY_ALIAS.matcher(alias).matches()) {
            throw new IllegalArgumentException("signing key alias must be 1 to 100 letters, digits, '_', '.', ':'"
                    + " or '-', starting with a letter or digit");
        }
    }

    /** A signing key of this backend: only the alias, spec and public key; the handle stays in the connection. */
    private final class Pkcs11SigningKey implements SigningKey {
        private final String alias;
        private final KeySpec spec;
        private final PublicKey publicKey;

        Pkcs11SigningKey(String alias, KeySpec spec, PublicKey publicKey) {
            this.alias = alias;
            this.spec = spec;
            this.publicKey = publicKey;
        }

        @Override
        public String alias() {
            return alias;
        }

        @Override
        public KeySpec spec() {
            return spec;
        }

        @Override
        public PublicKey publicKey() {
            return publicKey;
        }

        @Override
        public byte[] sign(byte[] data) {
            return Pkcs11KeyBackend.this.sign(alias, spec, data);
        }

        @Override
        public String toString() {
            return "SigningKey{backend=" + name + ", alias=" + alias + ", spec=" + spec + "}";
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

    @Override
    public BackendStatus status() {
        return state.status();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pendingPin != null) {
            Arrays.fill(pendingPin, '\0');
            pendingPin = null;
        }
        Connection c = connection;
        connection = null;
        state = new State(CLOSED, Kind.UNAVAILABLE);
        if (c != null) {
            release(c.tokenKey(), c.provider());
        }
    }

    @Override
    public String toString() {
        return "Pkcs11KeyBackend{name=" + name + ", library=" + library + ", tokenLabel=" + tokenLabel
                + ", hmacKeyLabel=" + hmacKeyLabel + ", pin=" + pinSource + ", status=" + state.status() + "}";
    }

    /** The PIN read at build time for the first start, afterwards a fresh read of the source (it may have been fixed). */
    private char[] takePin() {
        char[] pin = pendingPin;
        pendingPin = null;
        if (pin != null) {
            return pin;
        }
        try {
            return pinSource.read(pinKey);
        } catch (SecretUnavailableException e) {
            offline(Kind.UNAVAILABLE, e.getMessage(), null);
            return null;
        } catch (RuntimeException e) {
            offline(Kind.UNAVAILABLE, pinKey + ": cannot read the PIN (" + e.getClass().getSimpleName() + ")", e);
            return null;
        }
    }

    private void connect(char[] pin) {
        try {
            if (rejectedPinDigest != null && MessageDigest.isEqual(rejectedPinDigest, pinDigest(pin))) {
                offline(Kind.AUTHENTICATION, "PIN rejected by token '" + tokenLabel + "' and " + pinKey
                        + " still gives the same PIN: not trying it again, since tokens lock after repeated"
                        + " wrong PINs; correct the PIN, then reconnect", null);
                return;
            }
            Connection c = open(pin);
            connection = c;
            rejectedPinDigest = null;
            state = new State(upStatus(), null);
            LOG.info("Key backend '{}' is online: token '{}', HMAC key '{}'", name, tokenLabel, hmacKeyLabel);
        } catch (Failure f) {
            offline(f.kind, f.getMessage(), f.getCause());
        } catch (RuntimeException | LinkageError e) {
            offline(Kind.UNAVAILABLE, "unexpected error opening token '" + tokenLabel + "' ("
                    + Pkcs11Module.describe(e) + ")", e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    private Connection open(char[] pin) throws Failure {
        Pkcs11Module.Token token = findToken();
        if (token.has(Pkcs11Module.CKF_USER_PIN_LOCKED)) {
            throw new Failure(Kind.AUTHENTICATION, "the user PIN of token '" + tokenLabel
                    + "' is locked: unlock it with the SO PIN", null);
        }
        AuthProvider provider = configureProvider(token);
        String tokenKey = TokenLogins.tokenKey(library, token.slotId());
        synchronized (TokenLogins.lock(tokenKey)) {
            KeyStore store = logIn(provider, pin);
            TokenLogins.acquired(tokenKey);
            try {
                Key key = findOrCreateKey(store, provider);
                Connection c = new Connection(tokenKey, provider, store, key,
                        SecureRandom.getInstance("PKCS11", provider), new ThreadLocal<>(), new ConcurrentHashMap<>());
                // Fail at start-up rather than on the first credential: the key, the mechanism and the RNG work.
                c.mac().doFinal(new byte[0]);
                c.random().nextBytes(new byte[16]);
                return c;
            } catch (GeneralSecurityException | RuntimeException e) {
                release(tokenKey, provider);
                throw new Failure(Kind.UNAVAILABLE, "HMAC key '" + hmacKeyLabel + "' on token '" + tokenLabel
                        + "' is not usable (" + Pkcs11Module.describe(e) + ")", e);
            }
        }
    }

    private Pkcs11Module.Token findToken() throws Failure {
        if (library.indexOf('"') >= 0 || library.indexOf('\n') >= 0 || library.contains("${")) {
            throw new Failure(Kind.UNAVAILABLE, "PKCS#11 library path " + library
                    + " contains characters a SunPKCS11 configuration cannot hold", null);
        }
        Path path;
        try {
            path = Path.of(library);
        } catch (InvalidPathException e) {
            throw new Failure(Kind.UNAVAILABLE, "PKCS#11 library path " + library + " is not a valid path", e);
        }
        if (!path.isAbsolute()) {
            throw new Failure(Kind.UNAVAILABLE, "PKCS#11 library path " + library
                    + " must be absolute (SunPKCS11 refuses relative ones)", null);
        }
        if (!Files.isRegularFile(path)) {
            throw new Failure(Kind.UNAVAILABLE, "PKCS#11 library " + library + " does not exist or is not a file", null);
        }
        try {
            List<Pkcs11Module.Token> tokens = Pkcs11Module.open(library).tokens();
            List<Pkcs11Module.Token> matching = tokens.stream().filter(t -> t.label().equals(tokenLabel)).toList();
            if (matching.isEmpty()) {
                String present = tokens.stream().map(Pkcs11Module.Token::label).filter(l -> !l.isEmpty())
                        .limit(10).map(l -> "'" + l + "'").collect(Collectors.joining(", "));
                throw new Failure(Kind.UNAVAILABLE, "token '" + tokenLabel + "' not found in PKCS#11 library "
                        + library + " (tokens present: " + (present.isEmpty() ? "none" : present) + ")", null);
            }
            if (matching.size() > 1) {
                throw new Failure(Kind.UNAVAILABLE, matching.size() + " tokens are labelled '" + tokenLabel
                        + "' in PKCS#11 library " + library + ": the label must name exactly one", null);
            }
            return matching.get(0);
        } catch (Pkcs11Module.Pkcs11ModuleException e) {
            throw new Failure(Kind.UNAVAILABLE, e.getMessage(), e.getCause());
        }
    }

    private AuthProvider configureProvider(Pkcs11Module.Token token) throws Failure {
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new Failure(Kind.UNAVAILABLE, "the SunPKCS11 provider is not present in this Java runtime", null);
        }
        try {
            return (AuthProvider) base.configure(providerConfig(token));
        } catch (InvalidParameterException | ProviderException | UnsupportedOperationException e) {
            throw new Failure(Kind.UNAVAILABLE, "cannot configure SunPKCS11 for token '" + tokenLabel + "' ("
                    + Pkcs11Module.describe(e) + ")", e);
        }
    }

    /**
     * SunPKCS11's {@code slot} is parsed as an int, so a slot id beyond it is given as its index
     * in the slot list (stable while the module stays initialised). SoftHSM keeps ids below 2^31.
     * Generated secret keys are sensitive, never extractable and only good for MACs; generated private
 * keys are sensitive, never extractable and only good for signing.
     */
    private String providerConfig(Pkcs11Module.Token token) {
        String slot = token.slotId() <= Integer.MAX_VALUE
                ? "slot = " + token.slotId()
                : "slotListIndex = " + token.slotListIndex();
        return "--name = Rotakey-" + name.replaceAll("[^A-Za-z0-9_.-]", "_") + "\n"
                + "library = \"" + library + "\"\n"
                + slot + "\n"
                + "attributes(generate, CKO_PRIVATE_KEY, *) = {\n"
                + "  CKA_SENSITIVE = true\n"
                + "  CKA_EXTRACTABLE = false\n"
                + "  CKA_SIGN = true\n"
                + "  CKA_DECRYPT = false\n"
                + "  CKA_UNWRAP = false\n"
                + "  CKA_DERIVE = false\n"
                + "}\n"
                + "attributes(generate, CKO_SECRET_KEY, *) = {\n"
                + "  CKA_SENSITIVE = true\n"
                + "  CKA_EXTRACTABLE = false\n"
                + "  CKA_SIGN = true\n"
                + "  CKA_VERIFY = true\n"
                + "  CKA_ENCRYPT = false\n"
                + "  CKA_DECRYPT = false\n"
                + "  CKA_WRAP = false\n"
                + "  CKA_UNWRAP = false\n"
                + "  CKA_DERIVE = false\n"
                + "}\n";
    }

    private KeyStore logIn(AuthProvider provider, char[] pin) throws Failure {
        try {
            KeyStore store = KeyStore.getInstance("PKCS11", provider);
            store.load(null, pin);
            return store;
        } catch (IOException e) {
            String code = Pkcs11Module.describe(e);
            if (pinRejected(e, code)) {
                rejectedPinDigest = pinDigest(pin);
                throw new Failure(Kind.AUTHENTICATION, "PIN rejected by token '" + tokenLabel + "' (" + code
                        + "); it is not tried again until " + pinKey + " changes", e);
            }
            if (AUTHENTICATION_CODES.contains(code)) {
                throw new Failure(Kind.AUTHENTICATION, "login to token '" + tokenLabel + "' refused (" + code + ")", e);
            }
            throw new Failure(Kind.UNAVAILABLE, "cannot log in to token '" + tokenLabel + "' (" + code + ")", e);
        } catch (GeneralSecurityException | ProviderException e) {
            throw new Failure(Kind.UNAVAILABLE, "cannot open the key store of token '" + tokenLabel + "' ("
                    + Pkcs11Module.describe(e) + ")", e);
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

    /**
     * Looks the key up once, and creates it when absent: generated as a session object and then
     * stored by the KeyStore (generating it with CKA_TOKEN=true leaves unlabelled objects), then
     * read back so the cached handle is the token object's. Two processes starting on an empty
     * token at the same moment could both create one; within this JVM the token lock prevents it.
     */
    private Key findOrCreateKey(KeyStore store, Provider provider) throws GeneralSecurityException {
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
        LOG.info("Key backend '{}' created HMAC key '{}' on token '{}'", name, hmacKeyLabel, tokenLabel);
        return stored;
    }

    private void release(String tokenKey, AuthProvider provider) {
        synchronized (TokenLogins.lock(tokenKey)) {
            if (!TokenLogins.released(tokenKey)) {
                return;
            }
            try {
                provider.logout();
            } catch (LoginException | ProviderException e) {
                LOG.warn("Key backend '{}' could not log out of token '{}' ({})", name, tokenLabel,
                        Pkcs11Module.describe(e));
            }
        }
    }

    private Connection online(String operation) {
        Connection c = connection;
        if (c != null) {
            return c;
        }
        State s = state;
        String message = operation + " on key backend '" + name + "' failed: " + s.status().message();
        if (s.offlineKind() == Kind.AUTHENTICATION) {
            throw new KeyBackendAuthenticationException(message);
        }
        throw new KeyBackendUnavailableException(message);
    }

    /**
     * An operation succeeded on a connection that had been failing: the device is back. Locks only
     * on that rare path, so a concurrent reconnect or close is never overwritten.
     */
    private void recovered(Connection used) {
        if (state.offlineKind() == null) {
            return;
        }
        synchronized (this) {
            if (connection == used && state.offlineKind() != null) {
                state = new State(upStatus(), null);
            }
        }
    }

    /**
     * Keeps the connection (a transient device error may pass) but reports the backend down until
     * an operation succeeds again or {@link #reconnect()} opens a fresh one. A failure on a
     * connection already replaced or closed leaves the status alone.
     */
    private KeyBackendException operationFailed(String operation, Connection used, Exception e) {
        String code = Pkcs11Module.describe(e);
        String message = operation + " on token '" + tokenLabel + "' failed (" + code + ")";
        Kind kind = AUTHENTICATION_CODES.contains(code) ? Kind.AUTHENTICATION : Kind.UNAVAILABLE;
        synchronized (this) {
            if (connection != used) {
                message = operation + " on key backend '" + name + "' failed: " + state.status().message();
            } else if (state.offlineKind() == null) {
                state = new State(BackendStatus.down(message), kind);
                LOG.warn("Key backend '{}': {}", name, message);
            }
        }
        return kind == Kind.AUTHENTICATION
                ? new KeyBackendAuthenticationException(message, e)
                : new KeyBackendUnavailableException(message, e);
    }

    private void offline(Kind kind, String message, Throwable cause) {
        state = new State(BackendStatus.down(message), kind);
        LOG.warn("Key backend '{}' is offline: {}", name, message);
        if (cause != null) {
            LOG.debug("Key backend '{}' offline cause", name, cause);
        }
    }

    private BackendStatus upStatus() {
        return BackendStatus.up("token '" + tokenLabel + "', HMAC key '" + hmacKeyLabel + "'");
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
