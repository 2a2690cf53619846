package dev.rotakey.usage;

import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertCondition;
import dev.rotakey.alert.AlertDispatcher;
import dev.rotakey.alert.AlertEvaluator;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.AlertingFactory;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.db.UsageDao.HourlyRow;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The usage telemetry against a real database (H2 and PostgreSQL) with a hand-moved clock and synthetic traffic:
 * flushes add (twice on one node, and from two nodes), old hours are pruned, and anomalies become one audit event and
 * one alert with the owner's label per credential and kind, however often they are seen.
 */
class UsageTelemetryIT {
    private static final Instant T0 = Instant.parse("2026-12-20T10:10:00Z");
    private static final String OWNER = "team-billing@example.com";

    @TempDir
    Path dir;

    private TestDatabase db;
    private final TestClock clock = new TestClock(T0);
    private final AtomicInteger told = new AtomicInteger();
    private AlertDispatcher dispatcher;

    @AfterEach
    void close() throws Exception {
        if (dispatcher != null) {
            dispatcher.stop();
        }
        if (db != null) {
            db.close();
        }
    }

    private void start(TestDatabases.Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir.resolve("db"));
        db.store().txRun(d -> {
            d.agents().insert(new Agent("billing-agent", OWNER, Agent.AgentKind.PERSISTENT, null, Map.of(),
                    Agent.AgentStatus.ACTIVE, null, T0.minus(Duration.ofDays(30)), null));
            d.credentials().insert(new Credential("c1", "billing-agent", CredentialType.API_KEY, "hsm",
                    RotationPolicy.every(Duration.ofDays(7)), Duration.ofHours(1), List.of(),
                    Credential.CredentialStatus.ACTIVE, T0.plus(Duration.ofDays(7)), T0.minus(Duration.ofDays(30)), null,
                    null, null, null));
        });
    }

    private UsageTelemetry telemetry(Store store) {
        UsageFactory config = new UsageFactory();
        return new UsageTelemetry(config, store, new AuditLog(store, clock, NodeIdentity.single("test-node")), clock,
                new PrometheusRegistry(), told::incrementAndGet);
    }

    private void use(UsageTelemetry t, int times, String service, String address) {
        use(t, times, service, address, VersionState.CURRENT, null);
    }

    private void use(UsageTelemetry t, int times, String service, String address, VersionState state,
                     Instant revokeAfter) {
        for (int i = 0; i < times; i++) {
            t.used(new CredentialUse("c1", state == VersionState.CURRENT ? 2 : 1, state, revokeAfter, "billing-agent",
                    OWNER, service, address, null, clock.instant()));
        }
    }

    private List<HourlyRow> hourly() {
        return db.store().read(d -> d.usage().hourly("c1"));
    }

    private List<AuditEvent> anomalyEvents() {
        return db.store().read(d -> d.audit().list(null, null, Long.MAX_VALUE, 1000)).stream()
                .filter(e -> e.action().equals("usage.anomaly")).toList();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void flushesAddOnOneNodeAndAcrossNodes(TestDatabases.Engine engine) throws Exception {
        start(engine);
        UsageTelemetry a = telemetry(db.store());
        use(a, 3, "billing", "10.0.0.7");
        a.flush();
        use(a, 2, "billing", "10.0.0.9");
        a.flush();
        Store other = db.anotherNode("node-b");
        UsageTelemetry b = telemetry(other);
        use(b, 4, "billing", "10.0.0.11");
        b.flush();

        List<HourlyRow> rows = hourly();
        assertThat(rows).hasSize(1);
        HourlyRow row = rows.get(0);
        assertThat(row.uses()).isEqualTo(9);
        assertThat(row.hour()).isEqualTo(Instant.parse("2026-12-20T10:00:00Z"));
        assertThat(row.service()).isEqualTo("billing");
        assertThat(row.network()).isEqualTo("10.0.0.0/24");
        assertThat(row.lastSource()).isEqualTo("10.0.0.11");
        var summary = db.store().read(d -> d.usage().summary("c1")).orElseThrow();
        assertThat(summary.uses()).isEqualTo(9);
        assertThat(summary.firstUsedAt()).isEqualTo(T0);
        // A new credential learns: no anomaly, whatever it does.
        assertThat(anomalyEvents()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void hoursOlderThanRetainArePruned(TestDatabases.Engine engine) throws Exception {
        start(engine);
        UsageTelemetry t = telemetry(db.store());
        clock.set(T0.minus(Duration.ofDays(31)));
        use(t, 1, "billing", "10.0.0.7");
        t.flush();
        clock.set(T0.minus(Duration.ofDays(29)));
        use(t, 1, "billing", "10.0.0.7");
        t.flush();
        assertThat(hourly()).hasSize(2);
        clock.set(T0);
        // A flush with nothing to write still prunes.
        t.flush();
        assertThat(hourly()).extracting(HourlyRow::hour).containsExactly(
                T0.minus(Duration.ofDays(29)).truncatedTo(java.time.temporal.ChronoUnit.HOURS));
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void anomaliesAreAuditedOnceAndAlertOnceToTheOwner(TestDatabases.Engine engine) throws Exception {
        start(engine);
        UsageTelemetry t = telemetry(db.store());
        // Learning: a week and a day of quiet use by one service from one network.
        clock.set(T0.minus(Duration.ofDays(8)));
        use(t, 10, "billing", "10.0.0.7");
        t.flush();
        clock.set(T0);
        // Ten times the baseline (floored at 1/hour) and past the minimum: a spike; and a new service and network.
        use(t, 150, "billing", "10.0.0.7");
        use(t, 1, "stranger", "10.0.0.8");
        use(t, 1, "billing", "203.0.113.5");
        List<Anomaly> found = t.flush();
        assertThat(found).extracting(Anomaly::kind).containsExactlyInAnyOrder(AnomalyKind.SPIKE,
                AnomalyKind.NEW_SERVICE, AnomalyKind.NEW_NETWORK);
        assertThat(told).hasValue(1);
        List<AuditEvent> events = anomalyEvents();
        assertThat(events).hasSize(3).allSatisfy(e -> {
            assertThat(e.subject()).isEqualTo("credential:c1/v2");
            assertThat(e.outcome()).isEqualTo("anomaly");
            assertThat(e.details()).contains("owner=" + OWNER);
        });
        assertThat(events).anySatisfy(e -> assertThat(e.details()).contains("kind=new-service").contains("stranger"));
        assertThat(events).anySatisfy(e -> assertThat(e.details()).contains("kind=new-network")
                .contains("203.0.113.0/24"));

        // The same hour, more of the same: nothing new is recorded; a new service is known now.
        clock.advance(Duration.ofMinutes(5));
        use(t, 150, "billing", "10.0.0.7");
        use(t, 1, "stranger", "10.0.0.8");
        assertThat(t.flush()).isEmpty();
        assertThat(anomalyEvents()).hasSize(3);

        // The next hour's spike is recorded again, but the alert stays one per credential and kind.
        clock.advance(Duration.ofMinutes(50));
        use(t, 500, "billing", "10.0.0.7");
        assertThat(t.flush()).extracting(Anomaly::kind).containsExactly(AnomalyKind.SPIKE);

        List<Alert> alerts = evaluator().evaluate().open();
        List<Alert> anomalies = alerts.stream().filter(a -> a.condition() == AlertCondition.USAGE_ANOMALY).toList();
        assertThat(anomalies).hasSize(3).allSatisfy(a -> {
            assertThat(a.labels()).containsEntry("owner", OWNER).containsEntry("agent", "billing-agent")
                    .containsEntry("credential", "c1").containsEntry("severity", "warning");
        });
        assertThat(anomalies).extracting(a -> a.labels().get("kind"))
                .containsExactlyInAnyOrder("spike", "new-service", "new-network");
        assertThat(anomalies).filteredOn(a -> a.labels().get("kind").equals("spike")).singleElement()
                .satisfies(a -> assertThat(a.description()).contains("2 detection(s)"));

        // After anomalyAlertFor without a detection, the alerts resolve.
        clock.advance(Duration.ofHours(2));
        assertThat(evaluator().evaluate().resolve()).hasSize(3);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aPreviousVersionPresentedShortlyBeforeItsRevocationIsAnAnomalyEvenWhileLearning(TestDatabases.Engine engine)
            throws Exception {
        start(engine);
        UsageTelemetry t = telemetry(db.store());
        use(t, 1, "billing", "10.0.0.7", VersionState.PREVIOUS, T0.plus(Duration.ofHours(3)));
        assertThat(t.flush()).isEmpty();
        use(t, 1, "billing", "10.0.0.7", VersionState.PREVIOUS, T0.plus(Duration.ofMinutes(20)));
        List<Anomaly> found = t.flush();
        assertThat(found).singleElement().satisfies(a -> {
            assertThat(a.kind()).isEqualTo(AnomalyKind.PREVIOUS_LATE);
            assertThat(a.auditSubject()).isEqualTo("credential:c1/v1");
        });
        List<dev.rotakey.db.UsageDao.AnomalyRow> rows = db.store().read(d -> d.usage().anomalies("c1"));
        assertThat(rows).singleElement()
                .satisfies(r -> assertThat(r.owner()).isEqualTo(OWNER));
    }

    private AlertEvaluator evaluator() {
        Store store = db.store();
        AlertingFactory config = new AlertingFactory();
        if (dispatcher == null) {
            dispatcher = new AlertDispatcher(List.of(), config.getDelivery().build(), 1000, new PrometheusRegistry());
            dispatcher.start();
        }
        KeyBackends none = new KeyBackends(Map.of());
        AuditLog audit = new AuditLog(store, clock, NodeIdentity.single("test-node"));
        return new AlertEvaluator(config, store, none, new CertificateAuthorities(Map.of(), none, store, audit, clock),
                () -> false, dispatcher, audit, clock, new PrometheusRegistry(), Map.of(), Duration.ofHours(1));
    }
}
