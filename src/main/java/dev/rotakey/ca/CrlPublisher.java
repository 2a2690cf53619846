package dev.rotakey.ca;

import dev.rotakey.backend.SigningKey;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.db.CrlDao.CrlRecord;
import dev.rotakey.db.Store;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static dev.rotakey.ca.GenerationState.ACTIVE;
import static dev.rotakey.ca.GenerationState.RETIRED;

/**
 * Signs, serves and renews the CRL of each CA generation in use, with CRL numbers that never repeat
 * or go back whichever node signs, and hands the ACTIVE generation's to {@link CrlFiles}. A RETIRED
 * generation's key is gone: its last CRL is served as it is.
 */
final class CrlPublisher {
    private final CaHierarchy hierarchy;
    private final CaGenerations generations;
    private final CaKeyRing keyRing;
    private final CrlFiles files;
    private final Store store;
    private final Clock clock;
    private final CrlBuilder crls = new CrlBuilder();

    CrlPublisher(CaHierarchy hierarchy, CaGenerations generations, CaKeyRing keyRing, CrlFiles files, Store store,
                 Clock clock) {
        this.hierarchy = hierarchy;
        this.generations = generations;
        this.keyRing = keyRing;
        this.files = files;
        this.store = store;
        this.clock = clock;
    }

    /** Where a generation's CRL is published: the distribution point of the leaves it signs. */
    static String crlUrl(CertificateAuthorityFactory config, String name, int generation) {
        return config.getCrlBaseUrl() + "/api/v1/cas/" + name + "/crl?generation=" + generation;
    }

    /**
     * The DER CRL of a CA generation (the ACTIVE one when {@code generation} is empty), signed now
     * when it is missing or has lapsed. Unknown CA or generation: {@link RejectedException} not found.
     */
    byte[] der(String name, Optional<Integer> generation) {
        hierarchy.requireConfigured(name);
        CaRecord record = generation.isEmpty() ? generations.active(name)
                : store.read(d -> d.certificateAuthorities().generation(name, generation.get())).orElseThrow(() ->
                RejectedException.notFound("generation of certificate authority " + name, String.valueOf(generation.get())));
        Optional<CrlRecord> crl = store.read(d -> d.crls().find(name, record.generation()));
        boolean retired = GenerationState.of(record) == RETIRED;
        boolean usable = crl.isPresent() && crl.get().der() != null && crl.get().nextUpdate().isAfter(clock.instant());
        if (usable || (retired && crl.isPresent() && crl.get().der() != null)) {
            return crl.get().der();
        }
        if (retired) {
            throw RejectedException.notFound("CRL of certificate authority " + name + " generation",
                    String.valueOf(record.generation()));
        }
        return sign(name, record.generation());
    }

    /**
     * Re-signs the CRL of a generation that is not RETIRED once less than half its validity remains
     * (or a revocation could not sign it); otherwise brings this node's {@code crlFile} up to the
     * database, where another node may have signed it.
     */
    void refresh(CaRecord g, Instant now) {
        Optional<CrlRecord> crl = store.read(d -> d.crls().find(g.name(), g.generation()));
        boolean fresh = crl.isPresent() && crl.get().der() != null && !crl.get().stale()
                && Duration.between(now, crl.get().nextUpdate())
                .compareTo(hierarchy.config(g.name()).getCrlValidity().dividedBy(2)) >= 0;
        if (!fresh) {
            sign(g.name(), g.generation());
        } else if (GenerationState.of(g) == ACTIVE) {
            files.write(crl.get());
        }
    }

    /**
     * Signs a new CRL of one generation with the next CRL number of its CA, stores it, and writes the
     * ACTIVE generation's to {@code crlFile}. The CA's CRL rows stay locked from the number to the
     * store, so numbers never repeat or go back, whichever node signs.
     */
    byte[] sign(String name, int generation) {
        return sign(name, generation, false);
    }

    /**
     * {@link #sign} unless another signature has brought the CRL up to date since the caller's
     * revocation committed: a burst of revocations (a decommission) costs a few signatures, not one per
     * certificate. The stale flag is read under the CRL lock, after the revocation's commit, so a
     * signature that cleared it listed the revocation.
     */
    byte[] signIfStale(String name, int generation) {
        return sign(name, generation, true);
    }

    private byte[] sign(String name, int generation, boolean onlyIfStale) {
        CaRecord record = store.read(d -> d.certificateAuthorities().generation(name, generation)).orElseThrow();
        if (GenerationState.of(record) == RETIRED) {
            return store.read(d -> d.crls().find(name, generation)).map(CrlRecord::der).orElse(null);
        }
        CertificateAuthorityFactory config = hierarchy.config(name);
        SigningKey key = keyRing.key(record);
        X509Certificate caCertificate = keyRing.certificate(record);
        ensureCrlRow(name, generation);
        CrlRecord signed = store.tx(d -> {
            long number = d.crls().lockAndMaxNumber(name) + 1;
            if (onlyIfStale) {
                Optional<CrlRecord> current = d.crls().find(name, generation);
                if (current.isPresent() && current.get().der() != null && !current.get().stale()) {
                    return current.get();
                }
            }
            Instant now = clock.instant();
            Instant next = now.plus(config.getCrlValidity());
            List<CrlBuilder.Entry> entries = d.issuedCertificates().revokedUnexpired(name, generation, now).stream()
                    .map(r -> new CrlBuilder.Entry(new BigInteger(r.serial(), 16), r.revokedAt(),
                            RevocationReason.valueOf(r.revokeReason())))
                    .toList();
            byte[] der = crls.build(key, caCertificate, number, now, next, entries);
            d.crls().store(name, generation, number, now, next, der);
            return new CrlRecord(name, generation, number, now, next, der, false);
        });
        if (GenerationState.of(record) == ACTIVE) {
            files.write(signed);
        }
        return signed.der();
    }

    private void ensureCrlRow(String name, int generation) {
        try {
            store.txRun(d -> d.crls().insertIfAbsent(name, generation));
        } catch (RuntimeException e) {
            // Another node inserted it at the same moment: the primary key refused the second row.
            if (store.read(d -> d.crls().find(name, generation)).isEmpty()) {
                throw e;
            }
        }
    }
}
