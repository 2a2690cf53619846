package dev.rotakey.metrics;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.db.FleetDaoIT;
import dev.rotakey.schedule.QuartzWorkScheduler;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.OpenSsl;
import dev.rotakey.testing.RecordingJobHandler;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet gauges over a real H2 database, a real Quartz scheduler and real SoftHSM2 backends:
 * what they show, that the database is asked at most once per refresh interval, and that a
 * database outage keeps the last figures instead of failing the scrape.
 */
class FleetMetricsIT {
    private static final Instant NOW = FleetDaoIT.NOW;

    @TempDir
    Path dir;

    private TestDatabase db;
    private QuartzWorkScheduler scheduler;
    private KeyBackends backends;
    private final TestClock clock = new TestClock(NOW);

    @BeforeEach
    void fleet() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.H2, dir);
        db.jdbi().useTransaction(FleetDaoIT::populate);
        // A real CA certificate for generation 2 of agents-ca; other-ca's placeholder cannot be parsed.
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "30", "-subj", "/CN=Test CA").ok();
        String pem = Files.readString(dir.resolve("ca.pem"));
        db.jdbi().useHandle(h -> h.createUpdate("UPDATE certificate_authorities SET certificate = :pem "
                + "WHERE name = 'agents-ca' AND generation = 2").bind("pem", pem).execute());
        scheduler = db.scheduler(TestDatabase.schedulerConfig("fleet-" + System.nanoTime()), new RecordingJobHandler());
        scheduler.start();
        SoftHsmTokens.ensure();
        Map<String, KeyBackend> b = new LinkedHashMap<>();
        b.put("hsm", SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm"));
        b.put("spare", SoftHsmTokens.factory("rotakey-no-such-token").build("spare"));
        backends = new KeyBackends(b);
        backends.startAll();
    }

    @AfterEach
    void close() throws Exception {
        if (backends != null) {
            backends.close();
        }
        if (db != null) {
            db.close();
        }
    }

    private FleetMetrics metrics(PrometheusRegistry registry, boolean perCredential) {
        return new FleetMetrics(registry, db.store(), backends, scheduler::paused, clock, Duration.ofHours(1),
                Duration.ofSeconds(15), perCredential);
    }

    private static double seconds(Instant at) {
        return at.getEpochSecond();
    }

    @Test
    void showsTheFleet() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        metrics(registry, false);
        Samples s = Samples.of(registry);

        assertThat(s.value("rotakey_credentials", "state", "active")).isEqualTo(7);
        assertThat(s.value("rotakey_credentials", "state", "decommissioned")).isEqualTo(1);
        assertThat(s.value("rotakey_credential_versions", "state", "current")).isEqualTo(6);
        assertThat(s.value("rotakey_credential_versions", "state", "pending")).isEqualTo(1);
        assertThat(s.value("rotakey_credentials_failed")).isEqualTo(2);
        assertThat(s.value("rotakey_revocations_failed")).isEqualTo(2);
        assertThat(s.value("rotakey_next_rotation_timestamp_seconds")).isEqualTo(seconds(NOW.minus(Duration.ofHours(2))));
        assertThat(s.value("rotakey_credentials_overdue")).isEqualTo(1);
        assertThat(s.value("rotakey_oldest_overdue_rotation_timestamp_seconds"))
                .isEqualTo(seconds(NOW.minus(Duration.ofHours(2))));
        assertThat(s.value("rotakey_last_successful_rotation_timestamp_seconds"))
                .isEqualTo(seconds(NOW.minus(Duration.ofMinutes(30))));
        assertThat(s.value("rotakey_certificate_earliest_expiry_timestamp_seconds", "ca", "agents-ca"))
                .isEqualTo(seconds(NOW.plus(Duration.ofDays(10))));
        assertThat(s.value("rotakey_certificate_earliest_expiry_timestamp_seconds", "ca", "other-ca"))
                .isEqualTo(seconds(NOW.plus(Duration.ofDays(40))));
        X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(dir.resolve("ca.pem")));
        assertThat(s.value("rotakey_ca_certificate_expiry_timestamp_seconds", "ca", "agents-ca", "generation", "2"))
                .isEqualTo(seconds(ca.getNotAfter().toInstant()));
        assertThat(s.matching("rotakey_ca_certificate_expiry_timestamp_seconds")).hasSize(1);
        assertThat(s.value("rotakey_scheduler_paused")).isZero();
        assertThat(s.value("rotakey_key_backend_up", "backend", "hsm", "type", "pkcs11")).isEqualTo(1);
        assertThat(s.value("rotakey_key_backend_up", "backend", "spare", "type", "pkcs11")).isZero();
        assertThat(s.matching("rotakey_credential_next_rotation_timestamp_seconds")).isEmpty();
        assertThat(s.all()).noneMatch(x -> x.labels().containsKey("credential"));
    }

    @Test
    void theDatabaseIsAskedAtMostOncePerRefreshIntervalAndAPausedSchedulerShows() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        metrics(registry, false);
        assertThat(Samples.of(registry).value("rotakey_credentials", "state", "active")).isEqualTo(7);

        db.jdbi().useHandle(h -> h.createUpdate("UPDATE credentials SET status = 'DECOMMISSIONED', "
                + "next_rotation_at = NULL WHERE id = 'due'").execute());
        scheduler.pause();
        clock.advance(Duration.ofSeconds(14));
        Samples cached = Samples.of(registry);
        assertThat(cached.value("rotakey_credentials", "state", "active")).isEqualTo(7);
        assertThat(cached.value("rotakey_scheduler_paused")).isZero();

        clock.advance(Duration.ofSeconds(1));
        Samples fresh = Samples.of(registry);
        assertThat(fresh.value("rotakey_credentials", "state", "active")).isEqualTo(6);
        assertThat(fresh.value("rotakey_credentials_overdue")).isZero();
        assertThat(fresh.find("rotakey_oldest_overdue_rotation_timestamp_seconds")).isEmpty();
        assertThat(fresh.value("rotakey_scheduler_paused")).isEqualTo(1);
    }

    @Test
    void aFailingRefreshKeepsTheLastFiguresAndTheScrapeAnswers() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        metrics(registry, false);
        assertThat(Samples.of(registry).value("rotakey_credentials", "state", "active")).isEqualTo(7);

        // A change the next refresh would show, then a query of the refresh that fails.
        db.jdbi().useHandle(h -> {
            h.createUpdate("UPDATE credentials SET status = 'DECOMMISSIONED' WHERE id = 'due'").execute();
            h.createUpdate("ALTER TABLE rotations RENAME TO rotations_elsewhere").execute();
        });
        clock.advance(Duration.ofMinutes(1));
        Samples during = Samples.of(registry);
        assertThat(during.value("rotakey_credentials", "state", "active")).isEqualTo(7);
        assertThat(during.value("rotakey_credentials_failed")).isEqualTo(2);
        assertThat(during.value("rotakey_key_backend_up", "backend", "hsm", "type", "pkcs11")).isEqualTo(1);

        db.jdbi().useHandle(h -> h.createUpdate("ALTER TABLE rotations_elsewhere RENAME TO rotations").execute());
        clock.advance(Duration.ofSeconds(15));
        assertThat(Samples.of(registry).value("rotakey_credentials", "state", "active")).isEqualTo(6);
    }

    @Test
    void perCredentialSeriesWhenEnabled() {
        PrometheusRegistry registry = new PrometheusRegistry();
        metrics(registry, true);
        Samples s = Samples.of(registry);
        assertThat(s.value("rotakey_credential_next_rotation_timestamp_seconds", "credential", "due", "agent", "a1",
                "owner", "team-a@example.com")).isEqualTo(seconds(NOW.minus(Duration.ofHours(2))));
        assertThat(s.value("rotakey_credential_current_version", "credential", "soon")).isEqualTo(2);
        // "fresh" has no CURRENT version yet: a next rotation, no version series.
        assertThat(s.find("rotakey_credential_current_version", "credential", "fresh")).isEmpty();
        assertThat(s.matching("rotakey_credential_next_rotation_timestamp_seconds")).hasSize(7);
        assertThat(s.find("rotakey_credential_next_rotation_timestamp_seconds", "credential", "decom")).isEmpty();
    }
}
