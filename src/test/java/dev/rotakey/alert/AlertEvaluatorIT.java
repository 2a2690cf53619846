package dev.rotakey.alert;

import dev.rotakey.audit.AuditEvent;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.pkcs11.Pkcs11KeyBackendFactory;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.AlertingFactory;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.core.Agent;
import dev.rotakey.core.CertificateProfile;
import dev.rotakey.core.KeyCustody;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.IssuedCertificateDao.IssuedRecord;
import dev.rotakey.db.Store;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.SoftHsmTokens;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The alert conditions evaluated against a real database (H2 and PostgreSQL) seeded with the state
 * each condition looks for: an alert fires once with the owner's label, repeats after the repeat
 * interval, resolves when its condition clears, and two nodes over one database send each
 * notification once between them.
 */
class AlertEvaluatorIT {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private static final String OWNER = "team-billing@example.com";
    private static final NodeIdentity NODE = NodeIdentity.single("test-node");

    @TempDir
    Path dir;

    private TestDatabase db;
    private final TestClock clock = new TestClock(T0);
    private final List<AlertDispatcher> dispatchers = new ArrayList<>();
    private volatile boolean paused;

    @AfterEach
    void close() throws Exception {
        for (AlertDispatcher d : dispatchers) {
            d.stop();
        }
        if (db != null) {
            db.close();
        }
    }

    /** One node's evaluator, with a sink that records what reaches it. */
    private record Node(AlertEvaluator evaluator, AlertDispatcherTest.RecordingSink sink) {
        List<Alert> received() {
            return sink.received;
        }
    }

    private Node node(AlertingFactory config, KeyBackend... backends) {
        Store store = db.store();
        AlertDispatcherTest.RecordingSink sink = new AlertDispatcherTest.RecordingSink();
        AlertDispatcher dispatcher = new AlertDispatcher(List.of(sink), config.getDelivery().build(), 1000,
                new PrometheusRegistry());
        dispatcher.start();
        dispatchers.add(dispatcher);
        Map<String, KeyBackend> byName = new java.util.LinkedHashMap<>();
        for (KeyBackend b : backends) {
            byName.put(b.name(), b);
        }
        KeyBackends all = new KeyBackends(byName);
        AuditLog audit = new AuditLog(store, clock, NODE);
        return new Node(new AlertEvaluator(config, store, all, new CertificateAuthorities(Map.of(), all, store, audit, clock),
                () -> paused, dispatcher, audit, clock, new PrometheusRegistry()), sink);
    }

    private static AlertingFactory config() {
        AlertingFactory c = new AlertingFactory();
        c.setOwner("secops@example.com");
        return c;
    }

    private void start(TestDatabases.Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir.resolve("db"));
        db.store().txRun(d -> d.agents().insert(new Agent("billing-agent", OWNER, Agent.AgentKind.PERSISTENT, null,
                Map.of(), Agent.AgentStatus.ACTIVE, null, T0.minus(Duration.ofDays(30)), null)));
    }

    private void credential(String id, CredentialType type, Instant nextRotationAt) {
        db.store().txRun(d -> d.credentials().insert(new Credential(id, "billing-agent", type, "hsm",
                RotationPolicy.every(Duration.ofDays(7)), Duration.ofHours(1), List.of(), Credential.CredentialStatus.ACTIVE,
                nextRotationAt, T0.minus(Duration.ofDays(30)), null,
                type == CredentialType.CERTIFICATE ? new CertificateProfile("agents-ca", KeySpec.EC_P256,
                        Duration.ofDays(30), CertificateProfile.DEFAULT_RENEW_AT, List.of(), List.of(), KeyCustody.EXPORT)
                        : null, null, null)));
    }

    private void rotation(String credentialId, int version, RotationState state, Instant startedAt, String error) {
        db.store().txRun(d -> d.rotations().insert(new Rotation(UUID.randomUUID().toString(), credentialId, version,
                RotationTrigger.SCHEDULE, "scheduler", state, state == RotationState.FAILED ? RotationStep.CLEANUP
                : RotationStep.DONE, 3, null, error, false, "corr", startedAt, startedAt.plusSeconds(30),
                startedAt.plusSeconds(30))));
    }

    private void version(String credentialId, int version, VersionState state, String revokeError) {
        db.store().txRun(d -> d.versions().insert(new CredentialVersion(credentialId, version, state,
                "digest-" + credentialId + "-" + version, "hmac-v1", null, T0.minus(Duration.ofDays(8)), null,
                state == VersionState.PREVIOUS ? T0.minus(Duration.ofHours(2)) : null, null, null,
                revokeError == null ? 0 : 5, revokeError)));
    }

    private List<dev.rotakey.db.AlertDao.Firing> ledger() {
        return db.store().read(d -> d.alerts().firing());
    }

    private List<AuditEvent> audit(String action) {
        return db.store().read(d -> d.audit().list(null, null, Long.MAX_VALUE, 1000)).stream()
                .filter(e -> e.action().equals(action)).toList();
    }

    /**
     * A burst of events (a mass rotation ending rotation after rotation) evaluates at once, then at most once per
     * {@code burstInterval}, not once per event.
     */
    @org.junit.jupiter.api.Test
    void aBurstOfEventsIsEvaluatedAtOnceThenAtMostOncePerBurstInterval() throws Exception {
        start(TestDatabases.Engine.H2);
        AlertingFactory config = config();
        config.setEvaluationInterval(Duration.ofHours(1));
        config.setBurstInterval(Duration.ofMillis(500));
        PrometheusRegistry registry = new PrometheusRegistry();
        AuditLog audit = new AuditLog(db.store(), clock, NODE);
        KeyBackends none = new KeyBackends(Map.of());
        AlertDispatcher dispatcher = new AlertDispatcher(List.of(), config.getDelivery().build(), 1000, registry);
        dispatcher.start();
        dispatchers.add(dispatcher);
        AlertEvaluator evaluator = new AlertEvaluator(config, db.store(), none,
                new CertificateAuthorities(Map.of(), none, db.store(), audit, clock), () -> false, dispatcher, audit,
                clock, registry);
        evaluator.start();
        try {
            evaluator.evaluateSoon();
            await("the first event's evaluation, at once").atMost(Duration.ofMillis(400))
                    .pollInterval(Duration.ofMillis(10)).until(() -> evaluations(registry) == 1);
            // Events every 5 ms for 1.5 s: at most 3 more evaluations, and at least one (the burst is not dropped).
            ScheduledExecutorService events = Executors.newSingleThreadScheduledExecutor();
            events.scheduleAtFixedRate(evaluator::evaluateSoon, 0, 5, TimeUnit.MILLISECONDS);
            // Shutting down cancels the periodic events: the burst ends after 1.5 s.
            events.schedule(events::shutdown, 1500, TimeUnit.MILLISECONDS);
            assertThat(events.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(2)).until(() -> evaluations(registry) >= 2);
            // The last coalesced evaluation, if one was pending, runs within one burst interval and stays in bounds.
            await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(1)).until(() -> evaluations(registry) <= 5);
            assertThat(evaluations(registry)).isBetween(2.0, 5.0);
        } finally {
            evaluator.stop();
        }
    }

    private static double evaluations(PrometheusRegistry registry) {
        return registry.scrape().stream().filter(m -> m.getMetadata().getName().equals("rotakey_alert_evaluations"))
                .flatMap(m -> m.getDataPoints().stream())
                .mapToDouble(d -> ((io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) d).getValue())
                .sum();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aFailedRotationFiresOnceWithItsOwnerRepeatsAfterTheIntervalAndResolvesWhenARotationSucceeds(
            TestDatabases.Engine engine) throws Exception {
        start(engine);
        credential("billing-api", CredentialType.API_KEY, T0.plus(Duration.ofDays(7)));
        rotation("billing-api", 2, RotationState.FAILED, T0.minusSeconds(120), "target local-files refused: disk full");
        Node node = node(config());

        node.evaluator().evaluate();
        node.evaluator().evaluate();

        await().until(() -> node.received().size() == 1);
        Alert fired = node.received().get(0);
        assertThat(fired.status()).isEqualTo(AlertStatus.FIRING);
        assertThat(fired.fingerprint()).isEqualTo("rotation-failed:billing-api");
        assertThat(fired.labels()).containsEntry("alertname", "RotakeyRotationFailed").containsEntry("severity", "critical")
                .containsEntry("owner", OWNER).containsEntry("agent", "billing-agent")
                .containsEntry("credential", "billing-api").containsEntry("credential_type", "api-key");
        assertThat(fired.description()).contains("disk full").contains("still CURRENT");
        assertThat(ledger()).hasSize(1);
        assertThat(audit("alert.firing")).extracting(AuditEvent::subject).containsExactly("rotation-failed:billing-api");

        clock.advance(config().getRepeatInterval());
        node.evaluator().evaluate();
        await().until(() -> node.received().size() == 2);
        assertThat(node.received().get(1).status()).isEqualTo(AlertStatus.FIRING);
        assertThat(node.received().get(1).startsAt()).isEqualTo(fired.startsAt());

        rotation("billing-api", 3, RotationState.SUCCEEDED, clock.instant().minusSeconds(10), null);
        node.evaluator().evaluate();
        await().until(() -> node.received().size() == 3);
        Alert resolved = node.received().get(2);
        assertThat(resolved.status()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(resolved.fingerprint()).isEqualTo(fired.fingerprint());
        assertThat(resolved.labels()).isEqualTo(fired.labels());
        assertThat(resolved.endsAt()).isEqualTo(clock.instant());
        assertThat(ledger()).isEmpty();
        assertThat(audit("alert.resolved")).hasSize(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aRotationDueLongerAgoThanTheToleranceIsOverdueAndSaysWhenRotationsArePaused(TestDatabases.Engine engine)
            throws Exception {
        start(engine);
        credential("due-a-while", CredentialType.API_KEY, T0.minus(Duration.ofMinutes(30)));
        credential("due-long-ago", CredentialType.API_KEY, T0.minus(Duration.ofHours(3)));
        paused = true;
        Node node = node(config());

        node.evaluator().evaluate();

        await().until(() -> node.received().size() == 1);
        Alert overdue = node.received().get(0);
        assertThat(overdue.condition()).isEqualTo(AlertCondition.CREDENTIAL_OVERDUE);
        assertThat(overdue.labels()).containsEntry("credential", "due-long-ago").containsEntry("owner", OWNER);
        assertThat(overdue.description()).contains("PAUSED");

        // Half an hour later the other one is past the tolerance too.
        clock.advance(Duration.ofMinutes(31));
        node.evaluator().evaluate();
        await().until(() -> node.received().size() == 2);
        assertThat(node.received().get(1).labels()).containsEntry("credential", "due-a-while");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void expiringCertificatesFailedRevocationsAndPresentedRevokedKeysEachFire(TestDatabases.Engine engine) throws Exception {
        start(engine);
        credential("billing-cert", CredentialType.CERTIFICATE, T0.plus(Duration.ofDays(20)));
        version("billing-cert", 1, VersionState.CURRENT, null);
        db.store().txRun(d -> d.issuedCertificates().insert(new IssuedRecord("0a1b2c", "agents-ca", 1, "billing-cert", 1,
                "billing-agent", T0.minus(Duration.ofDays(27)), T0.plus(Duration.ofDays(3)), T0.minus(Duration.ofDays(27)),
                null, null)));
        credential("billing-api", CredentialType.API_KEY, T0.plus(Duration.ofDays(7)));
        version("billing-api", 1, VersionState.PREVIOUS, "target redis-main: connection refused");
        version("billing-api", 2, VersionState.CURRENT, null);
        new AuditLog(db.store(), clock, NODE).record("verifier", dev.rotakey.audit.AuditAction.API_KEY_REVOKED_PRESENTED,
                "credential:billing-api/v1", "denied", "a PREVIOUS key was presented");
        Node node = node(config());

        node.evaluator().evaluate();

        await().until(() -> node.received().size() == 3);
        assertThat(node.received()).extracting(Alert::fingerprint).containsExactlyInAnyOrder(
                "credential-expiring:billing-cert#v1", "revocation-failed:billing-api#v1",
                "revoked-credential-presented:billing-api#v1");
        assertThat(node.received()).allSatisfy(a -> assertThat(a.owner()).isEqualTo(OWNER));
        Alert presented = node.received().stream()
                .filter(a -> a.condition() == AlertCondition.REVOKED_CREDENTIAL_PRESENTED).findFirst().orElseThrow();
        assertThat(presented.severity()).isEqualTo(AlertSeverity.CRITICAL);
        assertThat(presented.labels()).containsEntry("version", "1");
        assertThat(presented.description()).contains("1 time(s)").contains("may have leaked");

        // The presentation alert clears once the window has passed with no new presentation.
        clock.advance(config().getPresentedWindow().plusSeconds(1));
        node.evaluator().evaluate();
        await().until(() -> node.received().size() == 4);
        assertThat(node.received().get(3).status()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(node.received().get(3).condition()).isEqualTo(AlertCondition.REVOKED_CREDENTIAL_PRESENTED);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aFailedReloadHookFiresForTheOwnerUntilALaterActionOfTheCredentialSucceeds(TestDatabases.Engine engine)
            throws Exception {
        start(engine);
        credential("web_tls", CredentialType.CERTIFICATE, T0.plus(Duration.ofDays(20)));
        credential("webxtls", CredentialType.CERTIFICATE, T0.plus(Duration.ofDays(20)));
        AuditLog audit = new AuditLog(db.store(), clock, NODE);
        audit.record("scheduler", dev.rotakey.audit.AuditAction.TARGET_PROMOTION_ACTION_FAILED, "credential:web_tls/v2",
                "failed", "target=files error=hook 'nginx' of target 'files' exited with status 1");
        // Another credential whose id the first's matches as a LIKE pattern ('_' is any character): not a later action.
        clock.advance(Duration.ofSeconds(1));
        audit.record("scheduler", dev.rotakey.audit.AuditAction.TARGET_PROMOTION_ACTION, "credential:webxtls/v1", "ok",
                "target=files");
        Node node = node(config());

        node.evaluator().evaluate();
        await().until(() -> node.received().size() == 1);
        Alert failed = node.received().get(0);
        assertThat(failed.fingerprint()).isEqualTo("reload-hook-failed:web_tls");
        assertThat(failed.owner()).isEqualTo(OWNER);
        assertThat(failed.labels()).containsEntry("version", "2");
        assertThat(failed.description()).contains("exited with status 1");

        // The next promotion's hook of the same credential runs: the alert resolves.
        clock.advance(Duration.ofSeconds(1));
        audit.record("scheduler", dev.rotakey.audit.AuditAction.TARGET_PROMOTION_ACTION, "credential:web_tls/v3", "ok",
                "target=files");
        clock.advance(config().getEvaluationInterval());
        node.evaluator().evaluate();
        await().until(() -> node.received().size() == 2);
        assertThat(node.received().get(1).status()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(node.received().get(1).condition()).isEqualTo(AlertCondition.RELOAD_HOOK_FAILED);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void anOfflineKeyBackendFiresForTheOperatorsAndTooManySubjectsBecomeOneSummaryAlert(TestDatabases.Engine engine)
            throws Exception {
        start(engine);
        for (int i = 0; i < 5; i++) {
            credential("stuck-" + i, CredentialType.API_KEY, T0.minus(Duration.ofDays(1)).plusSeconds(i));
        }
        Pkcs11KeyBackendFactory missing = SoftHsmTokens.factory(SoftHsmTokens.TEST);
        missing.setTokenLabel("no-such-token");
        KeyBackend offline = missing.build("hsm");
        offline.start();
        AlertingFactory config = config();
        config.setMaxAlertsPerCondition(2);
        Node node = node(config, offline);

        try {
            node.evaluator().evaluate();

            await().until(() -> node.received().size() == 4);
            assertThat(node.received()).extracting(Alert::fingerprint).containsExactlyInAnyOrder(
                    "credential-overdue:stuck-0", "credential-overdue:stuck-1", "credential-overdue:more",
                    "key-backend-unhealthy:hsm");
            Alert backend = node.received().stream().filter(a -> a.condition() == AlertCondition.KEY_BACKEND_UNHEALTHY)
                    .findFirst().orElseThrow();
            assertThat(backend.owner()).isEqualTo("secops@example.com");
            assertThat(backend.labels()).containsEntry("backend", "hsm").containsEntry("backend_type", "pkcs11");
            assertThat(node.evaluator().firingCounts()).containsEntry(AlertCondition.CREDENTIAL_OVERDUE, 3)
                    .containsEntry(AlertCondition.KEY_BACKEND_UNHEALTHY, 1);
        } finally {
            offline.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aCaCertificateThatEndsWithinTheWarningFiresForTheOperators(TestDatabases.Engine engine) throws Exception {
        start(engine);
        KeyBackend hsm = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        hsm.start();
        KeyBackends backends = new KeyBackends(Map.of("hsm", hsm));
        CertificateAuthorityFactory ca = new CertificateAuthorityFactory();
        ca.setBackend("hsm");
        ca.setSubject("CN=Alerting Test CA,O=Rotakey");
        CertificateAuthorities authorities = new CertificateAuthorities(Map.of("agents-ca", ca), backends, db.store(),
                new AuditLog(db.store(), clock, NODE), clock);
        try {
            authorities.start();
            AlertingFactory config = config();
            config.setExpiryWarning(Duration.ofDays(4000)); // longer than the CA's ten years
            AlertDispatcherTest.RecordingSink sink = new AlertDispatcherTest.RecordingSink();
            AlertDispatcher dispatcher = new AlertDispatcher(List.of(sink), config.getDelivery().build(), 100,
                    new PrometheusRegistry());
            dispatcher.start();
            dispatchers.add(dispatcher);
            new AlertEvaluator(config, db.store(), backends, authorities, () -> false, dispatcher,
                    new AuditLog(db.store(), clock, NODE), clock, new PrometheusRegistry()).evaluate();

            await().until(() -> sink.received.size() == 1);
            Alert expiring = sink.received.get(0);
            assertThat(expiring.fingerprint()).isEqualTo("credential-expiring:ca:agents-ca#1");
            assertThat(expiring.owner()).isEqualTo("secops@example.com");
            assertThat(expiring.labels()).containsEntry("ca", "agents-ca").containsEntry("generation", "1");
        } finally {
            db.store().read(d -> d.certificateAuthorities().generations("agents-ca"))
                    .forEach(g -> hsm.destroySigningKey(g.keyAlias()));
            hsm.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void twoNodesOverOneDatabaseSendEachNotificationOnceBetweenThem(TestDatabases.Engine engine) throws Exception {
        start(engine);
        for (int i = 0; i < 10; i++) {
            credential("c" + i, CredentialType.API_KEY, T0.plus(Duration.ofDays(7)));
            rotation("c" + i, 2, RotationState.FAILED, T0.minusSeconds(60), "refused");
        }
        Node a = node(config());
        Node b = node(config());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                List<Callable<AlertReconciliation>> both = List.of(() -> a.evaluator().evaluate(),
                        () -> b.evaluator().evaluate());
                for (Future<AlertReconciliation> f : pool.invokeAll(both)) {
                    f.get();
                }
            }
            await().until(() -> a.received().size() + b.received().size() == 10);

            for (int i = 0; i < 10; i++) {
                rotation("c" + i, 3, RotationState.SUCCEEDED, T0, null);
            }
            clock.advance(Duration.ofMinutes(1));
            for (Future<AlertReconciliation> f : pool.invokeAll(List.<Callable<AlertReconciliation>>of(
                    () -> a.evaluator().evaluate(), () -> b.evaluator().evaluate()))) {
                f.get();
            }
            await().until(() -> a.received().size() + b.received().size() == 20);
        } finally {
            pool.shutdownNow();
        }
        List<Alert> all = new ArrayList<>(a.received());
        all.addAll(b.received());
        assertThat(all.stream().filter(x -> x.status() == AlertStatus.FIRING).map(Alert::fingerprint))
                .hasSize(10).doesNotHaveDuplicates();
        assertThat(all.stream().filter(x -> x.status() == AlertStatus.RESOLVED).map(Alert::fingerprint))
                .hasSize(10).doesNotHaveDuplicates();
    }
}
