package dev.rotakey.service;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.config.RotationFactory;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.RetryPolicy;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Targets;
import dev.rotakey.targets.files.LocalFilesTargetFactory;

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
 * What the benchmarks share: one node's services over a token, a database and a local-files
 * directory, wired as the daemon wires them (scheduled work is only recorded), and the loop that
 * runs N operations on a few threads.
 */
final class BenchmarkNode {
    final Store store;
    final KeyBackends backends;
    final AuditLog audit;
    final CertificateAuthorities authorities;
    final RotationExecutor executor;
    final RotationService rotations;
    final CredentialService credentials;
    final AgentService agents;

    BenchmarkNode(KeyBackend backend, Store store, Path delivered, Map<String, CertificateAuthorityFactory> cas) {
        Clock clock = Clock.systemUTC();
        this.store = store;
        LocalFilesTargetFactory files = new LocalFilesTargetFactory();
        files.setDirectory(delivered.toString());
        Targets targets = new Targets(Map.of("local-files", files.build("local-files")));
        backends = new KeyBackends(Map.of("hsm", backend));
        audit = new AuditLog(store, clock);
        RecordingScheduler scheduler = new RecordingScheduler();
        RotationWorkflow workflow = new RotationWorkflow(new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(4), 2, 0.5));
        CredentialLocks locks = new CredentialLocks(1024);
        authorities = new CertificateAuthorities(cas, backends, store, audit, clock);
        executor = new RotationExecutor(store, backends, targets, workflow, audit, scheduler, locks, clock,
                new ScheduleCalculator(0.05, Duration.ofHours(1), Duration.ofHours(1)), authorities);
        RevocationService revocations = new RevocationService(store, backends, targets, workflow, audit, scheduler, locks,
                clock, authorities);
        executor.setRevocations(revocations);
        rotations = new RotationService(store, workflow, executor, revocations, audit, scheduler, clock);
        credentials = new CredentialService(store, backends, targets, rotations, audit, new RotationFactory(), clock,
                authorities);
        agents = new AgentService(store, audit, scheduler, clock);
    }

    interface Work {
        Object run(int i) throws Exception;
    }

    /** Runs {@code work} for 0 … n-1, thread t taking t, t+threads, …; rethrows the first failure. */
    static void runAll(int threads, int n, Work work) throws Exception {
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
}
