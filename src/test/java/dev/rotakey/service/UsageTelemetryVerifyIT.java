package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertCondition;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.PresentedKeyDao.PresentedKey;
import dev.rotakey.targets.files.LocalFilesTargetFactory;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.usage.UsageFactory;
import dev.rotakey.usage.UsageRecorder;
import dev.rotakey.usage.UsageTelemetry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The usage telemetry behind the real verifier (SoftHSM2, PostgreSQL): a key verified by a new relying service raises
 * one alert to its owner, the key itself appears in no usage table, audit detail or alert; and verification keeps its
 * throughput with telemetry on, measured against telemetry off in the same run.
 */
class UsageTelemetryVerifyIT {
    private static final String OWNER = "team@example.com";
    private static KeyBackend backend;

    @TempDir
    Path dir;
    private TestDatabase db;

    @BeforeAll
    static void token() {
        backend = SoftHsmTokens.factory(SoftHsmTokens.WORKFLOW).build("hsm");
        backend.start();
    }

    @AfterAll
    static void closeToken() {
        backend.close();
    }

    @AfterEach
    void close() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    private RotakeyComponents node(Clock clock) throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.POSTGRESQL, dir.resolve("db"));
        LocalFilesTargetFactory files = new LocalFilesTargetFactory();
        files.setDirectory(dir.resolve("delivered").toString());
        RotakeyComponents node = TestComponents.build(clock, db.store(), backend,
                Map.of("local-files", files.build("local-files")), new RecordingScheduler());
        node.agents().create(new NewAgent("agent-1", OWNER, null, null, null, null), "test");
        node.credentials().create(new NewCredential("c1", "agent-1", "api-key", "hsm",
                new NewCredential.RotationSpec("P90D", null), "PT1H",
                List.of(Map.of("target", "local-files", "path", "agent-1/c1"))), "test");
        return node;
    }

    private String key() throws Exception {
        return Files.readString(dir.resolve("delivered/agent-1/c1"), StandardCharsets.UTF_8).trim();
    }

    @Test
    void aNewRelyingServiceAlertsTheOwnerOnceAndTheKeyIsNowhere() throws Exception {
        TestClock clock = TestClock.at("2026-12-01T09:00:00Z");
        RotakeyComponents node = node(clock);
        String key = key();
        ApiKeyVerifier verifier = node.verifier();
        UsageTelemetry usage = node.usage();
        assertThat(verifier.verify(key, null, new ApiKeyVerifier.Caller("token:billing", "billing", "10.1.2.3"))
                .valid()).isTrue();
        usage.flush();
        // Past the learning period: a new relying service, twice.
        clock.advance(Duration.ofDays(8));
        for (int i = 0; i < 2; i++) {
            verifier.verify(key, null, new ApiKeyVerifier.Caller("token:stranger", "stranger", "10.1.2.4"));
        }
        assertThat(usage.flush()).hasSize(1);
        List<Alert> opened = node.alerts().evaluate().open().stream()
                .filter(a -> a.condition() == AlertCondition.USAGE_ANOMALY).toList();
        assertThat(opened).singleElement().satisfies(a -> assertThat(a.labels()).containsEntry("owner", OWNER)
                .containsEntry("kind", "new-service"));

        List<String> everything = new ArrayList<>();
        db.store().read(d -> {
            everything.addAll(d.usage().hourly("c1").stream().map(Object::toString).toList());
            everything.add(d.usage().summary("c1").orElseThrow().toString());
            everything.addAll(d.usage().anomalies("c1").stream().map(Object::toString).toList());
            everything.addAll(d.usage().known(List.of("c1")).stream().map(Object::toString).toList());
            everything.addAll(d.audit().list(null, null, Long.MAX_VALUE, 10_000).stream().map(Object::toString).toList());
            everything.addAll(d.alerts().firing().stream().map(Object::toString).toList());
            return null;
        });
        assertThat(everything).isNotEmpty().noneMatch(s -> s.contains(key));
        assertThat(String.join("\n", everything)).contains("stranger").contains("10.1.2.0/24");
    }

    /**
     * A benchmark, not a build check (timings on a shared machine are not deterministic): run by hand with
     * {@code -Drotakey.bench=true}; docs/performance.md records its ratios.
     */
    @Test
    @EnabledIfSystemProperty(named = "rotakey.bench", matches = "true")
    void telemetryKeepsVerifyThroughputWithinTenPercent() throws Exception {
        RotakeyComponents node = node(Clock.systemUTC());
        String key = key();
        UsageTelemetry telemetry = new UsageTelemetry(new UsageFactory(), db.store(),
                new AuditLog(db.store(), Clock.systemUTC(), NodeIdentity.single("test")), Clock.systemUTC(),
                new PrometheusRegistry(), () -> {
        });
        ApiKeyVerifier off = verifier(UsageRecorder.NONE);
        ApiKeyVerifier on = verifier(telemetry);
        int threads = 8;
        int perWindow = 40_000;
        // Warm-up of both, then alternating windows so that drift of the machine hits both alike.
        rate(off, key, threads, perWindow);
        rate(on, key, threads, perWindow);
        double[] ratios = new double[5];
        for (int i = 0; i < ratios.length; i++) {
            double without = rate(off, key, threads, perWindow);
            double with = rate(on, key, threads, perWindow);
            ratios[i] = with / without;
            System.out.printf("verify/s without telemetry %.0f, with %.0f, ratio %.3f%n", without, with, ratios[i]);
        }
        telemetry.flush();
        Arrays.sort(ratios);
        System.out.printf("median ratio with/without telemetry: %.3f%n", ratios[ratios.length / 2]);
        // The goal is 0.90; the margin keeps a noisy machine from failing the build, the printed ratio is reported.
        assertThat(ratios[ratios.length / 2]).isGreaterThan(0.85);
        assertThat(db.store().read(d -> d.usage().summary("c1")).orElseThrow().uses())
                .isEqualTo(6L * perWindow);
        assertThat(node).isNotNull();
    }

    private ApiKeyVerifier verifier(UsageRecorder usage) {
        // As the daemon wires it: answers cached, dropped after each transaction of the store.
        NotifiedCache<List<String>, PresentedKey> cache = NotifiedCache.local(Clock.systemUTC(), 100,
                Duration.ofMinutes(5));
        db.store().afterEachTransaction(cache::invalidateAll);
        return new ApiKeyVerifier(db.store(), new KeyBackends(Map.of("hsm", backend)),
                new AuditLog(db.store(), Clock.systemUTC(), NodeIdentity.single("test")), cache,
                ApiKeyVerifier.Results.NONE, usage, Clock.systemUTC());
    }

    private static double rate(ApiKeyVerifier verifier, String key, int threads, int total) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long started = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int caller = t;
                futures.add(pool.submit(() -> {
                    ApiKeyVerifier.Caller who = new ApiKeyVerifier.Caller("token:svc-" + caller, "svc-" + caller,
                            "10.0." + caller + ".9");
                    for (int i = 0; i < total / threads; i++) {
                        if (!verifier.verify(key, null, who).valid()) {
                            throw new AssertionError("the key does not verify");
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            return total / ((System.nanoTime() - started) / 1e9);
        } finally {
            pool.shutdown();
        }
    }
}
