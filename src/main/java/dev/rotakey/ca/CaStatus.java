package dev.rotakey.ca;

import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.db.CrlDao.CrlRecord;
import dev.rotakey.db.Store;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.rotakey.ca.GenerationState.ACTIVE;
import static dev.rotakey.ca.GenerationState.RETIRED;

/**
 * What the CAs look like now, read from the database: each CA's generations for the API, the problems
 * that would soon make relying parties refuse (for the health check), and when the generations in use
 * expire (for the alerts).
 */
final class CaStatus {
    /** The health check warns this long before the ACTIVE certificate of a CA expires. */
    static final Duration EXPIRY_WARNING = Duration.ofDays(30);

    private final CaHierarchy hierarchy;
    private final CaGenerations generations;
    private final CaKeyRing keyRing;
    private final Store store;
    private final Clock clock;

    CaStatus(CaHierarchy hierarchy, CaGenerations generations, CaKeyRing keyRing, Store store, Clock clock) {
        this.hierarchy = hierarchy;
        this.generations = generations;
        this.keyRing = keyRing;
        this.store = store;
        this.clock = clock;
    }

    /** See {@link CertificateAuthorities#snapshot}. */
    CaSnapshot snapshot(String name) {
        hierarchy.requireConfigured(name);
        CertificateAuthorityFactory config = hierarchy.config(name);
        List<CaRecord> created = generations.created(name);
        Instant now = clock.instant();
        List<CaSnapshot.Generation> out = new ArrayList<>();
        for (int i = created.size() - 1; i >= 0; i--) {
            CaRecord g = created.get(i);
            X509Certificate c = keyRing.certificate(g);
            long outstanding = store.read(d -> d.issuedCertificates().outstanding(name, g.generation(), now));
            Optional<CrlRecord> crl = store.read(d -> d.crls().find(name, g.generation()));
            out.add(new CaSnapshot.Generation(g.generation(), GenerationState.of(g),
                    c.getSubjectX500Principal().getName(), CertificateSerials.hex(c.getSerialNumber()),
                    c.getNotBefore().toInstant(), c.getNotAfter().toInstant(), outstanding,
                    crl.filter(r -> r.der() != null).map(CrlRecord::crlNumber).orElse(null),
                    crl.map(CrlRecord::nextUpdate).orElse(null)));
        }
        return new CaSnapshot(name, config.getTrustDomain(), config.getBackend(), config.getKeySpec().name(),
                config.getParent(), out);
    }

    /** See {@link CertificateAuthorities#problems}. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        Instant now = clock.instant();
        for (String name : hierarchy.names()) {
            List<CaRecord> stored = generations.stored(name);
            Optional<CaRecord> active = stored.stream().filter(g -> GenerationState.of(g) == ACTIVE).findFirst();
            if (active.isEmpty()) {
                problems.add(name + ": not initialised (key backend " + hierarchy.config(name).getBackend() + ")");
                continue;
            }
            Instant notAfter = keyRing.certificate(active.get()).getNotAfter().toInstant();
            if (notAfter.isBefore(now.plus(EXPIRY_WARNING))) {
                problems.add(name + ": the ACTIVE certificate (generation " + active.get().generation() + ") expires at "
                        + notAfter + "; rotate the CA (POST /tasks/rotate-ca?ca=" + name + ")");
            }
            for (CaRecord g : stored) {
                if (GenerationState.of(g) == RETIRED) {
                    continue;
                }
                Optional<CrlRecord> crl = store.read(d -> d.crls().find(name, g.generation()));
                if (crl.isEmpty() || crl.get().nextUpdate() == null) {
                    problems.add(name + ": generation " + g.generation() + " has no CRL yet");
                } else if (!crl.get().nextUpdate().isAfter(now)) {
                    problems.add(name + ": the CRL of generation " + g.generation() + " lapsed at " + crl.get().nextUpdate());
                }
            }
        }
        return problems;
    }

    /** See {@link CertificateAuthorities#expiries}. */
    List<GenerationExpiry> expiries() {
        List<GenerationExpiry> out = new ArrayList<>();
        for (String name : hierarchy.names()) {
            for (CaRecord g : generations.stored(name)) {
                if (GenerationState.of(g) != RETIRED) {
                    out.add(new GenerationExpiry(name, g.generation(), GenerationState.of(g),
                            keyRing.certificate(g).getNotAfter().toInstant()));
                }
            }
        }
        return out;
    }
}
