package dev.rotakey.ca;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.db.Daos;
import dev.rotakey.db.IssuedCertificateDao.CaGeneration;
import dev.rotakey.db.IssuedCertificateDao.IssuedRecord;
import dev.rotakey.db.Store;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.rotakey.ca.CertificateSerials.hex;

/**
 * Agents' leaf certificates: issues them from a CA's ACTIVE generation, signing inside the key
 * backend, and records each in the CA's ledger in the same transaction (shared by the issues asked for at the
 * same moment, through the group commit); puts a credential version's
 * certificates on the CRL; and reads back what was issued for a credential.
 */
final class LeafIssuer {
    private static final int ISSUE_ATTEMPTS = 3;

    private final CaHierarchy hierarchy;
    private final CaGenerations generations;
    private final CaKeyRing keyRing;
    private final CrlPublisher crls;
    private final Store store;
    private final AuditLog audit;
    private final Clock clock;
    private final SecureRandom random;
    private final LeafCertificateBuilder leaves;

    LeafIssuer(CaHierarchy hierarchy, CaGenerations generations, CaKeyRing keyRing, CrlPublisher crls, Store store,
               AuditLog audit, Clock clock, SecureRandom random) {
        this.hierarchy = hierarchy;
        this.generations = generations;
        this.keyRing = keyRing;
        this.crls = crls;
        this.store = store;
        this.audit = audit;
        this.clock = clock;
        this.random = random;
        this.leaves = new LeafCertificateBuilder(clock);
    }

    /** See {@link CertificateAuthorities#checkLeafRequest}. */
    void checkRequest(String caName, Duration validity) {
        hierarchy.requireCaField(caName);
        if (validity == null || validity.isZero() || validity.isNegative()) {
            throw RejectedException.invalid("validity", "must be a positive duration such as P30D, not " + validity);
        }
        CaRecord active = generations.active(caName);
        Instant caNotAfter = keyRing.certificate(active).getNotAfter().toInstant();
        Instant end = clock.instant().plus(validity);
        if (end.isAfter(caNotAfter)) {
            throw RejectedException.invalid("validity", validity + " would end at " + end + ", after the certificate of CA '"
                    + caName + "' (generation " + active.generation() + ") expires at " + caNotAfter
                    + "; ask for at most " + Duration.between(clock.instant(), caNotAfter).toDays() + " days");
        }
    }

    /** See {@link CertificateAuthorities#issue}. */
    IssuedCertificate issue(String caName, LeafRequest request) {
        hierarchy.requireCaField(caName);
        generations.active(caName);
        CertificateAuthorityFactory config = hierarchy.config(caName);
        String spiffeId = "spiffe://" + config.getTrustDomain() + "/agent/" + request.agentId();
        for (int attempt = 1; ; attempt++) {
            BigInteger serial = CertificateSerials.next(random);
            try {
                // Committed with the issues other threads ask for at the same moment (a chunk's certificates): one
                // commit and one hold of the CA's lock for all of them, each under its own savepoint.
                return store.stepTx(d -> {
                    // The CA lock: a rotation that commits first is seen below, one that commits later waits for this issue.
                    d.certificateAuthorities().lock(caName);
                    CaRecord active = d.certificateAuthorities().active(caName).orElseThrow(() ->
                            new CertificateAuthorityNotReadyException("CA " + caName + " has no ACTIVE generation"));
                    if (d.issuedCertificates().exists(hex(serial))) {
                        throw new DuplicateSerialException();
                    }
                    return issue(d, config, active, serial, request, spiffeId);
                });
            } catch (DuplicateSerialException e) {
                if (attempt >= ISSUE_ATTEMPTS) {
                    throw new IllegalStateException("no unused serial after " + attempt + " attempts: is the RNG broken?");
                }
            } catch (RuntimeException e) {
                // A serial taken by a concurrent issue of another CA fails on the primary key: try another one.
                if (attempt < ISSUE_ATTEMPTS && !(e instanceof KeyBackendException)
                        && store.read(d -> d.issuedCertificates().exists(hex(serial)))) {
                    continue;
                }
                throw e;
            }
        }
    }

    /** Signs the leaf with the locked ACTIVE generation {@code active} and records it, inside the caller's transaction. */
    private IssuedCertificate issue(Daos d, CertificateAuthorityFactory config, CaRecord active, BigInteger serial,
                                    LeafRequest request, String spiffeId) {
        String caName = active.name();
        X509Certificate caCertificate = keyRing.certificate(active);
        Instant caNotAfter = caCertificate.getNotAfter().toInstant();
        if (!caNotAfter.isAfter(clock.instant())) {
            throw new CertificateAuthorityNotReadyException("the certificate of CA " + caName + " generation "
                    + active.generation() + " expired at " + caNotAfter + ": rotate the CA (POST /tasks/rotate-ca?ca="
                    + caName + ")");
        }
        LeafRequest bounded = request;
        if (clock.instant().plus(request.validity()).isAfter(caNotAfter)) {
            bounded = new LeafRequest(request.agentId(), request.credentialId(), request.version(),
                    request.publicKey(), Duration.between(clock.instant(), caNotAfter), request.dnsNames(),
                    request.uris());
        }
        X509Certificate leaf = leaves.build(keyRing.key(active), caCertificate, serial, bounded, spiffeId,
                CrlPublisher.crlUrl(config, caName, active.generation()));
        d.issuedCertificates().insert(new IssuedRecord(hex(serial), caName, active.generation(),
                request.credentialId(), request.version(), request.agentId(), leaf.getNotBefore().toInstant(),
                leaf.getNotAfter().toInstant(), clock.instant(), null, null));
        audit.record(d, CaGenerations.ACTOR, AuditAction.CERTIFICATE_ISSUED,
                AuditSubject.version(request.credentialId(), request.version()), "ok",
                "ca=" + caName + " generation=" + active.generation() + " serial=" + hex(serial)
                        + " notAfter=" + leaf.getNotAfter().toInstant());
        return new IssuedCertificate(caName, active.generation(), leaf, chainOf(d, active));
    }

    private static final class DuplicateSerialException extends RuntimeException {
        DuplicateSerialException() {
            super("serial already issued", null, false, false);
        }
    }

    /** The issuing generation's certificate, then its parents' up to the root. */
    private List<X509Certificate> chainOf(Daos d, CaRecord generation) {
        List<X509Certificate> chain = new ArrayList<>();
        CaRecord current = generation;
        while (current != null) {
            chain.add(keyRing.certificate(current));
            CaRecord child = current;
            current = child.parentName() == null ? null
                    : d.certificateAuthorities().generation(child.parentName(), child.parentGeneration()).orElseThrow(() ->
                    new IllegalStateException("CA " + child.name() + " generation " + child.generation()
                            + " names a parent generation that does not exist"));
        }
        return chain;
    }

    /** See {@link CertificateAuthorities#revoke}. */
    void revoke(String credentialId, int version, RevocationReason reason, Instant revokedAt) {
        List<CaGeneration> issuers = store.tx(d -> {
            List<CaGeneration> unrevoked = d.issuedCertificates().unrevokedIssuers(credentialId, version);
            int revoked = d.issuedCertificates().revoke(credentialId, version, reason.name(), revokedAt);
            for (CaGeneration g : unrevoked) {
                // Committed with the revocation: a re-sign that fails below (backend offline) is retried by the refresh.
                d.crls().insertIfAbsent(g.caName(), g.generation());
                d.crls().markStale(g.caName(), g.generation());
            }
            if (revoked > 0) {
                audit.record(d, CaGenerations.ACTOR, AuditAction.CERTIFICATE_REVOKED, AuditSubject.version(credentialId, version),
                        "ok", revoked + " certificate(s), reason " + reason + ", CA generation(s) " + unrevoked);
            }
            return unrevoked;
        });
        for (CaGeneration g : issuers) {
            crls.signIfStale(g.caName(), g.generation());
        }
    }

    /** See {@link CertificateAuthorities#issuedFor(Collection)}. */
    Map<String, Map<Integer, CertificateSummary>> issuedFor(Collection<String> credentialIds) {
        Map<String, Map<Integer, CertificateSummary>> out = new LinkedHashMap<>();
        for (IssuedRecord r : store.read(d -> d.issuedCertificates().forCredentials(credentialIds))) {
            // Ordered by issue time: a later certificate of the same version replaces the earlier one.
            out.computeIfAbsent(r.credentialId(), k -> new LinkedHashMap<>()).put(r.version(),
                    new CertificateSummary(r.caName(), r.caGeneration(), r.serial(), r.notBefore(), r.notAfter(),
                            r.revokedAt()));
        }
        return out;
    }
}
