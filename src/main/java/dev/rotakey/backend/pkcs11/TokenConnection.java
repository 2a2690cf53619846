package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.BackendConnection.Failure;
import dev.rotakey.backend.KeySpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.security.auth.login.LoginException;
import java.math.BigInteger;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A backend's logged-in connection to its token: everything an operation needs, built once when the
 * backend connects, so that no operation looks anything up on the token. The KeyStore is kept only
 * for signing-key creation, first look-ups and destruction, always under the token's lock; the
 * handles it gave out are cached in {@code signingKeys}.
 *
 * <p>Signing keys are generated as session objects under a sensitive, never-extractable template
 * and then stored by the KeyStore, which needs a certificate chain for a private key: each gets
 * its own placeholder self-signed certificate with a unique subject, so deleting one entry never
 * takes another entry's certificate with it (the KeyStore deletes issuer certificates it finds
 * by subject).
 */
record TokenConnection(String tokenKey, AuthProvider provider, KeyStore store, TokenHmac hmac,
                       SecureRandom random, ConcurrentMap<String, StoredKey> signingKeys) {
    private static final Logger LOG = LoggerFactory.getLogger(TokenConnection.class);
    static final String MAC_ALGORITHM = "HmacSHA256";
    private static final int HMAC_KEY_BITS = 256;
    /** RFC 5280's "no well-defined expiration date": the placeholder is never a trust anchor, only a KeyStore requirement. */
    private static final Date PLACEHOLDER_NOT_AFTER = Date.from(Instant.parse("9999-12-31T23:59:59Z"));

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
            TokenHmac hmac = null;
            try {
                Key key = findOrCreateKey(locator, store, provider, hmacKeyLabel);
                hmac = sessionCopyOr(new ProviderHmac(provider, key), locator, token, hmacKeyLabel);
                TokenConnection c = new TokenConnection(tokenKey, provider, store, hmac,
                        SecureRandom.getInstance("PKCS11", provider), new ConcurrentHashMap<>());
                c.random().nextBytes(new byte[16]);
                return c;
            } catch (GeneralSecurityException | RuntimeException e) {
                if (hmac != null) {
                    hmac.close();
                }
                release(locator, tokenKey, provider);
                throw new TokenUnusableException(Failure.UNAVAILABLE, "HMAC key '" + hmacKeyLabel + "' on token '"
                        + locator.tokenLabel() + "' is not usable (" + Pkcs11Module.describe(e) + ")", e);
            }
        }
    }

    /** The handle of {@code alias}, from the cache or else the KeyStore (a scan of the token); absent aliases are not cached, another process may create them. */
    Optional<StoredKey> storedKey(String alias) throws GeneralSecurityException {
        StoredKey cached = signingKeys.get(alias);
        if (cached != null) {
            return Optional.of(cached);
        }
        synchronized (TokenLogins.lock(tokenKey)) {
            cached = signingKeys.get(alias);
            if (cached != null) {
                return Optional.of(cached);
            }
            Optional<StoredKey> read = readStoredKey(store, alias);
            if (read.isEmpty()) {
                // Another process on the same token (another node of a cluster: a CA rotated there) may have made it.
                rescan();
                read = readStoredKey(store, alias);
            }
            read.ifPresent(k -> signingKeys.put(alias, k));
            return read;
        }
    }

    /**
     * Re-reads the token's objects into the KeyStore: SunPKCS11's KeyStore maps the token's labels when it is loaded
     * and after its own changes only, so keys another process made or deleted since are invisible until then. A
     * load while logged in does not log in again. Callers hold the token's lock.
     */
    void rescan() throws GeneralSecurityException {
        try {
            store.load(null, null);
        } catch (java.io.IOException e) {
            throw new KeyStoreException("cannot re-read the token's objects: " + e.getMessage(), e);
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
    StoredKey generate(String alias, KeySpec spec)
            throws GeneralSecurityException, OperatorCreationException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(spec.keyAlgorithm(), provider);
        AlgorithmParameterSpec parameters = spec.curve()
                .<AlgorithmParameterSpec>map(ECGenParameterSpec::new)
                .orElseGet(() -> new RSAKeyGenParameterSpec(spec.keySize(), RSAKeyGenParameterSpec.F4));
        generator.initialize(parameters, random);
        KeyPair pair = generator.generateKeyPair();
        X509Certificate placeholder = placeholderCertificate(alias, spec, pair);
        store.setKeyEntry(alias, pair.getPrivate(), null, new Certificate[] {placeholder});
        Optional<StoredKey> stored = readStoredKey(store, alias);
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
    private X509Certificate placeholderCertificate(String alias, KeySpec spec, KeyPair pair)
            throws GeneralSecurityException, OperatorCreationException {
        byte[] serialBytes = new byte[16];
        random.nextBytes(serialBytes);
        BigInteger serial = new BigInteger(1, serialBytes).setBit(127);
        X500Name subject = new X500Name("CN=" + alias + ",OU=" + serial.toString(16)
                + ",O=Rotakey placeholder");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(subject, serial,
                Date.from(now.minus(1, ChronoUnit.MINUTES)), PLACEHOLDER_NOT_AFTER, subject,
                SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded()));
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder(spec.signatureAlgorithm()).setProvider(provider)
                        .build(pair.getPrivate())));
    }

    /**
     * HMACs under a session copy of the key ({@link SessionKeyHmac}), or else under the token object through
     * SunPKCS11, saying so once: a token that refuses to copy its key still works, only slower on SoftHSM2. The
     * provider's HMAC runs once either way, which checks the key and the mechanism at start-up.
     */
    private static TokenHmac sessionCopyOr(ProviderHmac provider, TokenLocator locator, Pkcs11Module.Token token,
                                           String hmacKeyLabel) throws GeneralSecurityException {
        try {
            Pkcs11Calls calls = new Pkcs11Calls(Pkcs11Module.open(locator.library()).wrapper());
            return SessionKeyHmac.copy(calls, token.slotId(), hmacKeyLabel, provider);
        } catch (GeneralSecurityException | ReflectiveOperationException | Pkcs11Module.Pkcs11ModuleException
                 | RuntimeException e) {
            provider.hmac(new byte[0]);
            LOG.warn("Key backend '{}': HMACs use the token object '{}' on token '{}' directly, since no session copy"
                    + " of it could be made ({})", locator.backendName(), hmacKeyLabel, locator.tokenLabel(),
                    Pkcs11Module.describe(e));
            return provider;
        }
    }

    /**
     * Lets go of the HMAC key's copy and of the login: the token is logged out only when no other backend of this
     * JVM still uses it.
     */
    void release(TokenLocator locator) {
        hmac.close();
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
