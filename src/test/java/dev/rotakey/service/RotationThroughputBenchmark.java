package dev.rotakey.service;

import dev.rotakey.api.CreateAgentRequest;
import dev.rotakey.api.CreateCredentialRequest;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.config.RotationFactory;
import dev.rotakey.core.ApiKeyFormat;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.RetryPolicy;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.target.Target;
import dev.rotakey.target.Targets;
import dev.rotakey.target.files.LocalFilesTargetFactory;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures, on the real edges (SoftHSM2 token, local-files, H2 or PostgreSQL), how many complete
 * rotations (create, deliver, verify, promote) and how many API-key verifications one node does per
 * second, with N credentials already in the database. Not a unit test: run its main by hand.
 * Arguments: engine (H2|POSTGRESQL), credentials, threads.
 */
public final class RotationThroughputBenchmark {
    private RotationThroughputBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        TestDatabases.Engine engine = TestDatabases.Engine.valueOf(args.length > 0 ? args[0] : "H2");
        int credentials = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Path dir = Files.createTempDirectory("rotakey-bench");
        KeyBackend backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        backend.start();
        try (TestDatabase db = TestDatabases.open(engine, dir.resolve("db"))) {
            Clock clock = Clock.systemUTC();
            LocalFilesTargetFactory files = new LocalFilesTargetFactory();
            files.setDirectory(dir.resolve("delivered").toString());
            Target target = files.build("local-files");
            KeyBackends backends = new KeyBackends(Map.of("hsm", backend));
            Targets targets = new Targets(Map.of("local-files", target));
            AuditLog audit = new AuditLog(db.store(), clock);
            RecordingScheduler scheduler = new RecordingScheduler();
            RotationWorkflow workflow = new RotationWorkflow(new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(4), 2, 0.5));
            CredentialLocks locks = new CredentialLocks(1024);
            CertificateAuthorities authorities = new CertificateAuthorities(Map.of(), backends, db.store(), clock);
            RotationExecutor executor = new RotationExecutor(db.store(), backends, targets, workflow, audit, scheduler,
                    locks, clock, new ScheduleCalculator(0.05, Duration.ofHours(1), Duration.ofHours(1)), authorities);
            RevocationService revocations = new RevocationService(db.store(), backends, targets, workflow, audit,
                    scheduler, locks, clock, authorities);
            RotationService rotations = new RotationService(db.store(), workflow, executor, revocations, audit, scheduler, clock);
            CredentialService service = new CredentialService(db.store(), backends, targets, rotations, audit,
                    new RotationFactory(), clock, authorities);
            new AgentService(db.store(), audit, scheduler, clock)
                    .create(new CreateAgentRequest("bench", "bench@example.com", null, null, null, null), "bench");

            long t0 = System.nanoTime();
            runAll(threads, credentials, i -> service.create(new CreateCredentialRequest("c" + i, "bench", "api-key", "hsm",
                    new CreateCredentialRequest.RotationSpec("P7D", null), "PT1H",
                    List.of(Map.of("target", "local-files", "path", "bench/c" + i))), "bench"));
            report("create (issue v1)", credentials, t0);

            t0 = System.nanoTime();
            runAll(threads, credentials, i -> rotations.startAndRun("c" + i, RotationTrigger.OPERATOR, "bench"));
            report("rotate (v1 -> v2)", credentials, t0);

            ApiKeyVerifier verifier = new ApiKeyVerifier(db.store(), backends, audit);
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < Math.min(credentials, 1000); i++) {
                keys.add(Files.readString(dir.resolve("delivered/bench/c" + i), StandardCharsets.UTF_8));
            }
            int verifications = 20_000;
            t0 = System.nanoTime();
            runAll(threads, verifications, i -> {
                if (!verifier.verify(keys.get(i % keys.size()), "bench").valid()) {
                    throw new IllegalStateException("a current key did not verify");
                }
                return null;
            });
            report("verify", verifications, t0);
            t0 = System.nanoTime();
            for (int i = 0; i < verifications; i++) {
                ApiKeyFormat.parse("rk_" + "0".repeat(49));
            }
            report("reject mistyped key (no database)", verifications, t0);
        } finally {
            backend.close();
        }
    }

    interface Work {
        Object run(int i) throws Exception;
    }

    private static void runAll(int threads, int n, Work work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int start = t;
                futures.add(pool.submit(() -> {
                    for (int i = start; i < n; i += threads) {
                        work.run(i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void report(String what, int n, long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-36s %7d in %6.2f s = %9.1f /s%n", what, n, s, n / s);
    }
}
