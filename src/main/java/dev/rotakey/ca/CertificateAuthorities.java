package dev.rotakey.ca;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.db.Store;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configured certificate authorities, as the rest of Rotakey sees them: creates each CA once
 * (its key in its backend, its certificate self-signed or signed by its parent), issues and revokes
 * agents' leaf certificates, publishes chains and CRLs, and rotates CA generations (ACTIVE →
 * RETIRING → RETIRED). An existing CA is never regenerated; the database is the source of truth, so
 * several nodes can share it. The work is done by {@link CaHierarchy}, {@link CaGenerations},
 * {@link LeafIssuer}, {@link CrlPublisher} and {@link CaStatus}.
 */
public final class CertificateAuthorities implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthorities.class);

    private final CaHierarchy hierarchy;
    private final CaGenerations generations;
    private final CrlPublisher crls;
    private final LeafIssuer leaves;
    private final CaStatus status;
    private final Clock clock;

    /**
     * {@code configs}' backend names must have been checked against {@code backends}. A parent that
     * is not configured, or a cycle of parents, stops start-up naming {@code certificateAuthorities.<name>.parent}.
     * {@code audit} records CA creation, rotation and retirement and each leaf issued and revoked.
     */
    public CertificateAuthorities(Map<String, CertificateAuthorityFactory> configs, KeyBackends backends, Store store,
                                  AuditLog audit, Clock clock) {
        SecureRandom random = new SecureRandom();
        CaKeyRing keyRing = new CaKeyRing(backends);
        this.hierarchy = new CaHierarchy(configs);
        this.generations = new CaGenerations(hierarchy, keyRing, backends, store, audit, clock, random);
        this.crls = new CrlPublisher(hierarchy, generations, keyRing, new CrlFiles(hierarchy), store, clock);
        this.leaves = new LeafIssuer(hierarchy, generations, keyRing, crls, store, audit, clock, random);
        this.status = new CaStatus(hierarchy, generations, keyRing, store, clock);
        this.clock = clock;
    }

    /** Creates the CAs that do not exist yet (parents first) and signs missing CRLs; an offline backend is logged and left for later. */
    @Override
    public void start() {
        for (String name : hierarchy.creationOrder()) {
            try {
                if (generations.ensureCreated(name)) {
                    LOG.info("certificate authority {} created in key backend {}", name, hierarchy.config(name).getBackend());
                }
            } catch (KeyBackendException | CertificateAuthorityNotReadyException e) {
                // Start-up goes on: the API-key side works without the CA, and the chain answers 503 meanwhile.
                LOG.warn("certificate authority {} is not initialised yet (key backend {}: {}); retried when it is used "
                        + "and at the next start", name, hierarchy.config(name).getBackend(), e.getMessage(), e);
            }
        }
        refreshCrls();
    }

    /**
     * The PEM chain of the CA {@code name}: its generations that are not RETIRED, newest first, then
     * its parent's chain. Tries to create a CA that an offline backend kept from being created at start-up.
     */
    public String chainPem(String name) {
        hierarchy.requireConfigured(name);
        return generations.chainPem(name);
    }

    /** Whether a CA named {@code name} is configured. */
    public boolean isConfigured(String name) {
        return hierarchy.isConfigured(name);
    }

    /** The configured CA names, in configuration order. */
    public List<String> names() {
        return hierarchy.names();
    }

    /**
     * Refuses (with {@link RejectedException#invalid} on the field {@code validity}) a leaf validity
     * that this CA cannot honour: not positive, or reaching past the issuing CA certificate's notAfter.
     * Unknown CA: {@code RejectedException.invalid("ca", …)} naming the configured CAs.
     */
    public void checkLeafRequest(String caName, Duration validity) {
        leaves.checkRequest(caName, validity);
    }

    /**
     * Issues a leaf certificate from the CA's current (ACTIVE) generation, signing inside the key
     * backend, and records it in the CA's ledger under {@code request.credentialId()} and
     * {@code request.version()} before returning. Throws {@link KeyBackendException} (retryable
     * when the backend is offline) or {@link CertificateAuthorityNotReadyException}. A validity that
     * would outlive the CA certificate (which has aged since {@link #checkLeafRequest}) ends with it.
     */
    public IssuedCertificate issue(String caName, LeafRequest request) {
        return leaves.issue(caName, request);
    }

    /**
     * Puts every certificate issued for {@code credentialId} version {@code version} on its CA's CRL
     * with {@code revokedAt} and {@code reason}, and re-signs the CRL. Idempotent: a certificate
     * already on the CRL keeps its first revocation time. Does nothing when none was issued.
     */
    public void revoke(String credentialId, int version, RevocationReason reason, Instant revokedAt) {
        leaves.revoke(credentialId, version, reason, revokedAt);
    }

    /** The latest certificate issued for each version of {@code credentialId}, by version. */
    public Map<Integer, CertificateSummary> issuedFor(String credentialId) {
        return issuedFor(List.of(credentialId)).getOrDefault(credentialId, Map.of());
    }

    /** {@link #issuedFor(String)} for a page of credentials, in one query; credentials without certificates are absent. */
    public Map<String, Map<Integer, CertificateSummary>> issuedFor(Collection<String> credentialIds) {
        return leaves.issuedFor(credentialIds);
    }

    /**
     * The DER CRL of a CA generation (the ACTIVE one when {@code generation} is empty), signed now
     * when it is missing or has lapsed. Unknown CA or generation: {@link RejectedException} not found.
     */
    public byte[] crlDer(String name, Optional<Integer> generation) {
        return crls.der(name, generation);
    }

    /**
     * The generations of {@code name} in use (not RETIRED), oldest first, each with the CRL it publishes now (signed
     * now if it is missing or has lapsed): read from the database at each call, so that a certificate revoked by any
     * node is refused at once by every relying party that asks here. Empty while the CA has not been created.
     */
    public List<TrustedGeneration> trusted(String name) {
        hierarchy.requireConfigured(name);
        List<TrustedGeneration> trusted = new java.util.ArrayList<>();
        for (CaRecord g : generations.stored(name)) {
            if (GenerationState.of(g) == GenerationState.RETIRED) {
                continue;
            }
            byte[] der = crls.der(name, Optional.of(g.generation()));
            try {
                java.security.cert.X509CRL crl = (java.security.cert.X509CRL) java.security.cert.CertificateFactory
                        .getInstance("X.509").generateCRL(new java.io.ByteArrayInputStream(der));
                trusted.add(new TrustedGeneration(name, g.generation(), CertificatePem.parse(g.certificatePem()), crl));
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("a stored CRL of " + name + " does not parse: " + e.getMessage(), e);
            }
        }
        return trusted;
    }

    /**
     * Periodic upkeep, safe to call from any node at any time: re-signs each CRL of a generation in use
     * once less than half its validity remains (or a revocation could not sign it), retires
     * RETIRING generations nothing depends on any more, and destroys RETIRED generations' keys.
     * Problems are logged per CA, never thrown.
     */
    public void refreshCrls() {
        for (String name : hierarchy.creationOrder()) {
            try {
                refresh(name);
            } catch (RuntimeException e) {
                LOG.warn("upkeep of certificate authority {} failed, retried at the next refresh: {}", name, e.toString(), e);
            }
        }
    }

    private void refresh(String name) {
        Instant now = clock.instant();
        for (CaRecord g : generations.stored(name)) {
            GenerationState state = GenerationState.of(g);
            if (state == GenerationState.RETIRED) {
                if (g.keyDestroyedAt() == null) {
                    generations.destroyKey(g);
                }
                continue;
            }
            crls.refresh(g, now);
            if (state == GenerationState.RETIRING) {
                generations.retireIfUnused(g, now);
            }
        }
    }

    /**
     * Creates generation N+1 of {@code name} (new key, same subject; self-signed or signed by the
     * parent's ACTIVE generation) as ACTIVE and makes generation N RETIRING, in one transaction, then
     * signs the new generation's first CRL (later, by the refresh, if that fails).
     */
    public CaSnapshot rotate(String name, String actor) {
        int next = generations.rotate(name, actor);
        try {
            crls.sign(name, next);
        } catch (RuntimeException e) {
            LOG.warn("the first CRL of certificate authority {} generation {} is signed later: {}", name, next,
                    e.toString(), e);
        }
        return snapshot(name);
    }

    /**
     * The generations of every configured CA that are not RETIRED, with their certificates' notAfter:
     * what the expiry alert needs, without the outstanding counts and CRLs of {@link #snapshot} and
     * without creating a CA that does not exist yet.
     */
    public List<GenerationExpiry> expiries() {
        return status.expiries();
    }

    /** A CA and its generations as they are now; unknown CA: {@link RejectedException} not found. */
    public CaSnapshot snapshot(String name) {
        return status.snapshot(name);
    }

    /**
     * What is wrong with the CAs now, one line per problem naming the CA: not initialised, ACTIVE
     * certificate expiring within 30 days, or a CRL in use past its nextUpdate. Empty when all is well.
     */
    public List<String> problems() {
        return status.problems();
    }
}
