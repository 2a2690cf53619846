package dev.rotakey.ca;

import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;

import java.security.cert.X509Certificate;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The signing keys and certificates of CA generations, each looked up once: a backend lookup scans
 * every object of a PKCS#11 token, and a stored CA certificate never changes once written.
 */
final class CaKeyRing {
    private final KeyBackends backends;
    /** Signing key handles by alias. */
    private final ConcurrentMap<String, SigningKey> keys = new ConcurrentHashMap<>();
    /** Parsed CA certificates by "name/generation". */
    private final ConcurrentMap<String, X509Certificate> certificates = new ConcurrentHashMap<>();

    CaKeyRing(KeyBackends backends) {
        this.backends = backends;
    }

    /** The handle of a generation's key; a key missing from its backend is a {@link KeyBackendException}. */
    SigningKey key(CaRecord generation) {
        SigningKey cached = keys.get(generation.keyAlias());
        if (cached != null) {
            return cached;
        }
        SigningKey key = backends.get(generation.backend()).signingKey(generation.keyAlias()).orElseThrow(() ->
                new KeyBackendException("the key " + generation.keyAlias() + " of CA " + generation.name() + " generation "
                        + generation.generation() + " is missing from key backend " + generation.backend()));
        keys.putIfAbsent(generation.keyAlias(), key);
        return key;
    }

    /** Remembers the key of a generation just stored under {@code alias}, saving the first lookup. */
    void add(String alias, SigningKey key) {
        keys.put(alias, key);
    }

    /** A generation's certificate. */
    X509Certificate certificate(CaRecord generation) {
        return certificates.computeIfAbsent(generation.name() + "/" + generation.generation(),
                k -> CertificatePem.parse(generation.certificatePem()));
    }

    /** Forgets a generation's key and destroys it in its backend. */
    void destroy(CaRecord generation) {
        keys.remove(generation.keyAlias());
        backends.get(generation.backend()).destroySigningKey(generation.keyAlias());
    }
}
