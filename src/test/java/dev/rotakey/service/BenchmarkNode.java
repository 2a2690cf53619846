package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.core.RotationListener;
import dev.rotakey.db.Store;
import dev.rotakey.targets.files.LocalFilesTargetFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What the benchmarks share: one node's services over a token, a database and a local-files
 * directory, built as the daemon builds them (scheduled work is only recorded), and the loop that
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
        this(backend, store, delivered, cas, RotationListener.NONE);
    }

    /** With {@code steps} told of each persisted rotation step, before the daemon's own listener. */
    BenchmarkNode(KeyBackend backend, Store store, Path delivered, Map<String, CertificateAuthorityFactory> cas,
                  RotationListener steps) {
        this.store = store;
        LocalFilesTargetFactory files = new LocalFilesTargetFactory();
        files.setDirectory(delivered.toString());
        RotakeyComponents c = TestComponents.builder(Clock.systemUTC(), store, backend,
                Map.of("local-files", files.build("local-files")), new RecordingScheduler(), cas)
                .rotationListener(steps).build();
        backends = c.backends();
        audit = c.audit();
        authorities = c.authorities();
        executor = c.executor();
        rotations = c.rotations();
        credentials = c.credentials();
        agents = c.agents();
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
