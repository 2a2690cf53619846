package dev.rotakey.service;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;

import java.time.Clock;
import java.time.Instant;
import java.util.function.BiConsumer;

/**
 * Removes one version's material from wherever it went: the CA's CRL and the backend's leaf key for a
 * certificate, then every bound target. Each place is tried even when an earlier one fails, so that one
 * refusing target never keeps the others (and the CURRENT version there) waiting; the failures come back
 * together ({@link PartialFailures}), retryable when any of them is (docs/design.md, I1 and I4).
 */
final class MaterialRemoval {
    private final KeyBackends backends;
    private final BindingFanOut fanOut;
    private final CertificateRetirement certificates;
    private final Clock clock;

    MaterialRemoval(KeyBackends backends, BindingFanOut fanOut, CertificateRetirement certificates, Clock clock) {
        this.backends = backends;
        this.fanOut = fanOut;
        this.certificates = certificates;
        this.clock = clock;
    }

    /**
     * A superseded, emergency-revoked or decommissioned version: on the CRL with {@code reason}, leaf key
     * destroyed, removed from every target (which leave newer versions alone).
     */
    void revoke(Credential c, CredentialVersion v, RevocationReason reason) {
        Instant at = v.revokedAt() != null ? v.revokedAt() : clock.instant();
        remove(c, v.version(), v.digest(), reason == null ? RevocationReason.SUPERSEDED : reason, at, false, Target::revoke,
                "revoke.between-targets");
    }

    /**
     * A version whose rotation failed (or is failing): the target is put back as it was before the rotation,
     * and a certificate that may have reached one goes on the CRL.
     */
    void discard(Credential c, CredentialVersion v) {
        remove(c, v.version(), v.digest(), RevocationReason.ROTATION_FAILED, clock.instant(), false, Target::discard,
                "discard.between-targets");
    }

    /**
     * Material of a pending version lost with a restart, before fresh material for the same version is issued:
     * only targets that recorded a reference for it (a Redis user adds passwords rather than replacing them) are
     * asked, since the others are overwritten by the next delivery anyway. A lost certificate goes on the CRL.
     */
    void discardLost(Credential c, CredentialVersion v) {
        remove(c, v.version(), v.digest(), RevocationReason.SUPERSEDED, clock.instant(), true, Target::discard, null);
    }

    private void remove(Credential c, int version, String digest, RevocationReason crlReason, Instant at,
                        boolean onlyReferenced, BiConsumer<Target, Revocation> action, String failPoint) {
        KeyBackend backend = backends.get(c.backend());
        PartialFailures failures = new PartialFailures();
        if (c.type() == CredentialType.CERTIFICATE) {
            failures.attempt("CRL and leaf key", () -> certificates.retire(backend, c.id(), version, crlReason, at));
        }
        fanOut.remove(c, version, content -> MaterialDigests.matches(backend, content, digest), onlyReferenced, action,
                failPoint, failures);
        failures.throwIfAny();
    }
}
