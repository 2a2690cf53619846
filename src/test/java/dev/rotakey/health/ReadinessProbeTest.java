package dev.rotakey.health;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheck;
import dev.rotakey.db.Store;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import org.h2.tools.Server;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ReadinessProbe}: a result is reused for a second, one evaluation at a time, a hung check makes the node
 * not ready within the timeout; {@link ReadinessChecks}: failed rotations and expiring CAs are not readiness checks.
 */
class ReadinessProbeTest {
    private final AtomicLong nanos = new AtomicLong();

    private ReadinessProbe probe(Map<String, HealthCheck> checks, Duration timeout) {
        return new ReadinessProbe(checks, nanos::get, Duration.ofSeconds(1), timeout);
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    private static HealthCheck check(java.util.function.BooleanSupplier healthy, AtomicInteger calls) {
        return new HealthCheck() {
            @Override
            protected Result check() {
                calls.incrementAndGet();
                return healthy.getAsBoolean() ? Result.healthy() : Result.unhealthy("down");
            }
        };
    }

    @Test
    void aResultIsReusedForASecondSoProbesCannotFloodTheDatabase() {
        AtomicInteger calls = new AtomicInteger();
        AtomicBoolean up = new AtomicBoolean(true);
        ReadinessProbe probe = probe(Map.of("db", check(up::get, calls)), Duration.ofSeconds(5));

        for (int i = 0; i < 50; i++) {
            assertThat(probe.ready()).isTrue();
        }
        assertThat(calls).hasValue(1);

        up.set(false);
        advance(Duration.ofMillis(999));
        assertThat(probe.ready()).isTrue();
        advance(Duration.ofMillis(1));
        assertThat(probe.ready()).isFalse();
        assertThat(calls).hasValue(2);
    }

    @Test
    void everyCheckMustPassAndOneThatThrowsFails() {
        AtomicInteger calls = new AtomicInteger();
        Map<String, HealthCheck> checks = new LinkedHashMap<>();
        checks.put("db", check(() -> true, calls));
        checks.put("hsm", new HealthCheck() {
            @Override
            protected Result check() {
                throw new IllegalStateException("token removed");
            }
        });
        assertThat(probe(checks, Duration.ofSeconds(5)).ready()).isFalse();
    }

    @Test
    void aCheckThatHangsMakesTheNodeNotReadyWithinTheTimeoutAndIsNeverRunTwiceAtOnce() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        HealthCheck hangs = new HealthCheck() {
            @Override
            protected Result check() throws Exception {
                calls.incrementAndGet();
                release.await(30, TimeUnit.SECONDS);
                return Result.healthy();
            }
        };
        ReadinessProbe probe = probe(Map.of("db", hangs), Duration.ofMillis(100));

        long start = System.nanoTime();
        assertThat(probe.ready()).isFalse();
        advance(Duration.ofSeconds(2));
        assertThat(probe.ready()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(calls).as("the hung evaluation is waited for again, not started twice").hasValue(1);

        release.countDown();
        advance(Duration.ofSeconds(2));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            advance(Duration.ofSeconds(2));
            return probe.ready();
        });
    }

    @Test
    void aStoppedDatabaseMakesTheNodeNotReady() throws Exception {
        // A database server of its own (H2 over TCP), to be stopped as a PostgreSQL server would be.
        Server server = Server.createTcpServer("-tcpPort", "0", "-ifNotExists").start();
        ManagedDataSource ds = null;
        try {
            DataSourceFactory f = new DataSourceFactory();
            f.setDriverClass("org.h2.Driver");
            f.setUrl("jdbc:h2:tcp://127.0.0.1:" + server.getPort() + "/mem:" + UUID.randomUUID());
            f.setUser("rotakey");
            f.setMaxWaitForConnection(io.dropwizard.util.Duration.milliseconds(200));
            ds = f.build(new MetricRegistry(), "readiness-test");
            ds.start();
            ReadinessProbe probe = probe(Map.of("database-store", new DatabaseHealthCheck(new Store(Jdbi.create(ds)))),
                    Duration.ofSeconds(5));
            assertThat(probe.ready()).isTrue();

            server.stop();
            advance(Duration.ofSeconds(1));
            assertThat(probe.ready()).isFalse();
        } finally {
            server.stop();
            if (ds != null) {
                ds.stop();
            }
        }
    }

    @Test
    void readinessIsTheDatabaseTheKeyBackendsAndTheSchedulerAndNeverABusinessAlert() {
        Map<String, HealthCheck> readiness = ReadinessChecks.readiness(null, List.of(), null);
        assertThat(readiness.keySet()).containsExactly("database-store", "scheduler");
        Map<String, HealthCheck> alerts = ReadinessChecks.businessAlerts(null, null);
        assertThat(alerts.keySet()).containsExactly("failed-rotations", "certificate-authorities");
        assertThat(readiness.values()).noneMatch(c -> c instanceof FailedRotationsHealthCheck
                || c instanceof CertificateAuthoritiesHealthCheck);
    }
}
