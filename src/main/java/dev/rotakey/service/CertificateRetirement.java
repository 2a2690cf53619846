package dev.rotakey.service;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.db.Store;

import java.time.Instant;
import java.util.Optional;

/**
 * Retires a certificate version for good: every certificate issued for it goes on its CA's CRL, and the leaf key
 * its backend holds ({@code hsm} custody) is destroyed and forgotten. Also destroys a leaf key that no version ever
 * recorded, left by an issue that did not finish (I5).
 */
final class CertificateRetirement {
    private final Store store;
    private final CertificateAuthorities authorities;

    CertificateRetirement(Store store, CertificateAuthorities authorities) {
        this.store = store;
        this.authorities = authorities;
    }

    /**
     * Puts version {@code version} of the credential on the CRL with {@code reason} as of {@code at}, then destroys
     * its recorded leaf key. Both are idempotent, so a retry after a partial failure finishes the job.
     */
    void retire(KeyBackend backend, String credentialId, int version, RevocationReason reason, Instant at) {
        authorities.revoke(credentialId, version, reason, at);
        Optional<String> alias = store.read(d -> d.versions().keyRef(credentialId, version));
        if (alias.isPresent()) {
            backend.destroySigningKey(alias.get());
            store.txRun(tx -> tx.versions().setKeyRef(credentialId, version, null));
        }
    }

    /**
     * Destroys a leaf key that no version records, after {@code cause} made its issue fail; a failure to destroy it
     * is added to {@code cause} rather than hiding it (the orphan sweep finds the key later).
     */
    static void destroyUnrecorded(KeyBackend backend, String alias, RuntimeException cause) {
        try {
            backend.destroySigningKey(alias);
        } catch (KeyBackendException e) {
            cause.addSuppressed(e);
        }
    }
}
