package dev.rotakey.service;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.ca.CrlBuilder;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.db.IssuedCertificateDao.IssuedRecord;
import dev.rotakey.db.Store;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Measures complete certificate rotations per second and CRL signing time on the real edges (SoftHSM2 token,
 * local-files, H2 or PostgreSQL); a main run by hand with arguments engine (H2|POSTGRESQL), certificates per
 * scenario, threads and comma-separated CRL sizes, not a unit test.
 */
public final class CertificateThroughputBenchmark {
    private static final String CA = "agents-ca";
    private static final String AGENT = "bench";
    private static final int EDGE = 100;

    private record Scenario(String name, String keySpec, String custody) {
    }

    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("ec-export", "EC_P256", "export"),
            new Scenario("rsa-export", "RSA_2048", "export"),
            new Scenario("ec-hsm", "EC_P256", "hsm"));

    private CertificateThroughputBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        TestDatabases.Engine engine = TestDatabases.Engine.valueOf(args.length > 0 ? args[0] : "H2");
        int certificates = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int[] crlSizes = Arrays.stream((args.length > 3 ? args[3] : "1000,10000,100000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        Path dir = Files.createTempDirectory("rotakey-bench");
        KeyBackend backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        backend.start();
        int privateKeysBefore = privateKeysInToken();
        try (TestDatabase db = TestDatabases.open(engine, dir.resolve("db"))) {
            StepTimes steps = new StepTimes();
            BenchmarkNode node = new BenchmarkNode(backend, db.store(), dir.resolve("delivered"), Map.of(CA, agentsCa()),
                    steps);
            try {
                node.authorities.start();
                node.agents.create(new NewAgent(AGENT, "bench@example.com", null, null, null, null), AGENT);
                System.out.printf("%s, %d thread(s), %d certificates per scenario, %d private keys in token %s before%n%n",
                        engine, threads, certificates, privateKeysBefore, SoftHsmTokens.TEST);
                System.out.printf("%-10s %-6s %5s %8s %8s %10s %10s   %s%n", "scenario", "phase", "n", "seconds", "ops/s",
                        "first" + Math.min(EDGE, certificates / 2) + "/s", "last" + Math.min(EDGE, certificates / 2) + "/s", "mean ms per step: create / deliver / verify / promote");
                for (Scenario s : SCENARIOS) {
                    // -Drotakey.bench.scenarios=ec-export,... runs only those.
                    if (!System.getProperty("rotakey.bench.scenarios", s.name()).contains(s.name())) {
                        continue;
                    }
                    measure(s, "create", certificates, threads, steps, i -> node.credentials.create(request(s, i), AGENT).rotation());
                    measure(s, "rotate", certificates, threads, steps,
                            i -> node.rotations.startAndRun(s.name() + "-" + i, RotationTrigger.OPERATOR, AGENT));
                }
                measureCrls(node, backend, certificates, crlSizes);
            } finally {
                long t0 = System.nanoTime();
                int destroyed = destroyKeys(node.store, backend);
                System.out.printf("%nclean-up: destroyed %d keys (CA and hsm-custody leaves) in %.1f s%n", destroyed,
                        (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            backend.close();
        }
        int privateKeysAfter = privateKeysInToken();
        System.out.printf("private keys in token %s: %d before, %d after%n", SoftHsmTokens.TEST, privateKeysBefore,
                privateKeysAfter);
        if (privateKeysAfter != privateKeysBefore) {
            throw new IllegalStateException("the benchmark left " + (privateKeysAfter - privateKeysBefore) + " keys in the token");
        }
    }

    private static CertificateAuthorityFactory agentsCa() {
        CertificateAuthorityFactory f = new CertificateAuthorityFactory();
        f.setBackend("hsm");
        f.setSubject("CN=Benchmark CA,O=Rotakey");
        f.setTrustDomain("bench.test");
        return f;
    }

    private static NewCredential request(Scenario s, int i) {
        String id = s.name() + "-" + i;
        return new NewCredential(id, AGENT, "certificate", "hsm", null, "PT1H",
                List.of(Map.of("target", "local-files", "path", AGENT + "/" + id)),
                CA, s.keySpec(), "P30D", null, List.of("bench.internal"), List.of(), s.custody());
    }

    /** Runs n rotations, each of which must succeed, and prints their rate overall, at the start and at the end. */
    private static void measure(Scenario s, String phase, int n, int threads, StepTimes steps, BenchmarkNode.Work work)
            throws Exception {
        AtomicLongArray finished = new AtomicLongArray(n);
        AtomicInteger count = new AtomicInteger();
        steps.reset();
        long t0 = System.nanoTime();
        BenchmarkNode.runAll(threads, n, i -> {
            Rotation r = (Rotation) work.run(i);
            if (r.state() != RotationState.SUCCEEDED) {
                throw new IllegalStateException(s.name() + "-" + i + " " + phase + ": " + r.state() + " " + r.lastError());
            }
            finished.set(count.getAndIncrement(), System.nanoTime());
            return r;
        });
        double seconds = (finished.get(n - 1) - t0) / 1e9;
        int edge = Math.min(EDGE, n / 2);
        double first = edge / ((finished.get(edge - 1) - t0) / 1e9);
        double last = edge / ((finished.get(n - 1) - finished.get(n - 1 - edge)) / 1e9);
        System.out.printf("%-10s %-6s %5d %8.2f %8.1f %10.1f %10.1f   %s%n", s.name(), phase, n, seconds, n / seconds, first,
                last, steps);
    }

    /** Mean time of each workflow step, from the executor's listener. */
    private static final class StepTimes implements RotationListener {
        private final Map<RotationStep, LongAdder> nanos = new EnumMap<>(RotationStep.class);
        private final Map<RotationStep, LongAdder> counts = new EnumMap<>(RotationStep.class);

        StepTimes() {
            for (RotationStep step : RotationStep.values()) {
                nanos.put(step, new LongAdder());
                counts.put(step, new LongAdder());
            }
        }

        void reset() {
            nanos.values().forEach(LongAdder::reset);
            counts.values().forEach(LongAdder::reset);
        }

        @Override
        public void afterStep(Rotation before, Rotation after, Duration took) {
            nanos.get(before.step()).add(took.toNanos());
            counts.get(before.step()).increment();
        }

        @Override
        public String toString() {
            List<String> means = new ArrayList<>();
            for (RotationStep step : List.of(RotationStep.CREATE, RotationStep.DELIVER, RotationStep.VERIFY, RotationStep.PROMOTE)) {
                long c = counts.get(step).sum();
                means.add(c == 0 ? "-" : String.format("%.1f", nanos.get(step).sum() / 1e6 / c));
            }
            return String.join(" / ", means);
        }
    }

    /**
     * For each size, fills the ACTIVE generation's ledger up to that many revoked unexpired certificates, then
     * times three revocations of one more version each (ledger update and CRL re-sign), the CRL query alone and the
     * CRL build and signature alone, and checks the published CRL's entries.
     */
    private static void measureCrls(BenchmarkNode node, KeyBackend backend, int certificates, int[] sizes) throws Exception {
        Store store = node.store;
        CaRecord generation = store.read(d -> d.certificateAuthorities().active(CA)).orElseThrow();
        SigningKey caKey = backend.signingKey(generation.keyAlias()).orElseThrow();
        X509Certificate caCertificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(generation.certificatePem().getBytes(StandardCharsets.US_ASCII)));
        List<String> revocable = new ArrayList<>();
        for (int i = 0; i < certificates; i++) {
            revocable.add("ec-export-" + i);
        }
        int nextRevocable = 0;
        int revoked = store.read(d -> d.issuedCertificates().revokedUnexpired(CA, generation.generation(), Instant.now())).size();
        int bulk = 0;
        System.out.printf("%nCRL of %s generation %d (%s key), revoked unexpired certificates in the ledger:%n", CA,
                generation.generation(), generation.keySpec());
        System.out.printf("%8s %10s %14s %10s %14s %11s %11s%n", "entries", "insert s", "revoke+sign ms", "query ms",
                "build+sign ms", "DER bytes", "bytes/entry");
        for (int size : sizes) {
            long t0 = System.nanoTime();
            int missing = Math.max(0, size - revoked);
            insertRevoked(store, generation.generation(), bulk, missing);
            bulk += missing;
            revoked += missing;
            double insertSeconds = (System.nanoTime() - t0) / 1e9;
            double[] revokes = new double[3];
            for (int k = 0; k < revokes.length; k++) {
                String id = revocable.get(nextRevocable++);
                t0 = System.nanoTime();
                node.authorities.revoke(id, 1, RevocationReason.SUPERSEDED, Instant.now());
                revokes[k] = (System.nanoTime() - t0) / 1e6;
                revoked++;
            }
            Arrays.sort(revokes);
            Instant now = Instant.now();
            List<List<IssuedRecord>> read = new ArrayList<>();
            double queryMs = medianMillis(() -> read.add(store.read(d ->
                    d.issuedCertificates().revokedUnexpired(CA, generation.generation(), now))));
            List<IssuedRecord> rows = read.get(0);
            List<CrlBuilder.Entry> entries = rows.stream().map(r -> new CrlBuilder.Entry(new BigInteger(r.serial(), 16),
                    r.revokedAt(), RevocationReason.valueOf(r.revokeReason()))).toList();
            double buildMs = medianMillis(() ->
                    new CrlBuilder().build(caKey, caCertificate, 1, now, now.plus(Duration.ofDays(1)), entries));
            byte[] der = node.authorities.crlDer(CA, Optional.empty());
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
            crl.verify(caCertificate.getPublicKey());
            int listed = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
            if (listed != revoked || rows.size() != revoked) {
                throw new IllegalStateException("the CRL lists " + listed + " certificates, the ledger " + rows.size()
                        + ", expected " + revoked);
            }
            System.out.printf("%8d %10.2f %14.1f %10.1f %14.1f %11d %11.1f%n", listed, insertSeconds, revokes[1], queryMs,
                    buildMs, der.length, (double) der.length / listed);
        }
        System.out.println("(all times are medians of 3; revoke+sign: CertificateAuthorities.revoke of one more version, "
                + "ledger update and CRL re-signed; query and build+sign: the two halves of that re-sign run alone; "
                + "insert: the bulk ledger rows added through IssuedCertificateDao)");
    }

    /** The median of three runs of {@code work}, in milliseconds. */
    private static double medianMillis(Runnable work) {
        double[] ms = new double[3];
        for (int k = 0; k < ms.length; k++) {
            long t0 = System.nanoTime();
            work.run();
            ms[k] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[1];
    }

    /** Ledger rows of revoked, unexpired certificates that were never signed: only the CRL reads them. */
    private static void insertRevoked(Store store, int generation, int from, int count) {
        Instant now = Instant.now();
        int batch = 5000;
        for (int done = 0; done < count; done += batch) {
            int start = from + done;
            int end = from + Math.min(count, done + batch);
            store.txRun(d -> {
                for (int i = start; i < end; i++) {
                    // Real serials are 65-bit with the top bit set (hex "1…"): these start with "2" and never collide.
                    d.issuedCertificates().insert(new IssuedRecord(String.format("2%016x", i), CA, generation,
                            "bulk-" + i, 1, AGENT, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)),
                            now.minus(Duration.ofDays(1)), now.minus(Duration.ofHours(1)), RevocationReason.SUPERSEDED.name()));
                }
            });
        }
    }

    /** Destroys the CA's keys and every hsm-custody leaf key, as the workflow test does: the token is shared. */
    private static int destroyKeys(Store store, KeyBackend backend) {
        int destroyed = 0;
        for (CaRecord g : store.read(d -> d.certificateAuthorities().generations(CA))) {
            backend.destroySigningKey(g.keyAlias());
            destroyed++;
        }
        for (String id : store.read(d -> d.credentials().idsOfAgent(AGENT))) {
            for (var v : store.read(d -> d.versions().ofCredential(id))) {
                Optional<String> alias = store.read(d -> d.versions().keyRef(id, v.version()));
                if (alias.isPresent()) {
                    backend.destroySigningKey(alias.get());
                    destroyed++;
                }
            }
        }
        return destroyed;
    }

    private static int privateKeysInToken() {
        String listing = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.TEST, "--login", "--pin",
                SoftHsmTokens.USER_PIN, "--list-objects");
        return (int) SoftHsmTokens.objects(listing).stream().filter(o -> o.startsWith("Private Key Object")).count();
    }
}
