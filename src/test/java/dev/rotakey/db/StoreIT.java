package dev.rotakey.db;

import dev.rotakey.audit.AuditEvent;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Agent.AgentKind;
import dev.rotakey.core.Agent.AgentStatus;
import dev.rotakey.core.Credential;
import dev.rotakey.core.Credential.CredentialStatus;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.VersionState;
import dev.rotakey.schedule.QuartzWorkScheduler;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.testing.RecordingJobHandler;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The DAOs behind {@link Store} on H2 and PostgreSQL: round trips of every column, constraints, locks, and the queries the services rely on. */
class StoreIT {
    /** Fixed instants with milliseconds, so that a lost fraction or a time-zone shift shows. */
    private static final Instant T0 = Instant.parse("2025-03-30T01:30:00.123Z");
    private static final Instant T1 = Instant.parse("2025-06-01T12:34:56.789Z");
    private static final Instant T2 = Instant.parse("2025-10-26T00:59:59.999Z");
    private static final Instant T3 = Instant.parse("2026-01-15T08:00:00.001Z");
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private TestDatabase db;
    private Store store;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    private void open(Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir);
        store = db.store();
    }

    @AfterEach
    void close() throws Exception {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(15, TimeUnit.SECONDS)).isTrue();
        if (db != null) {
            db.close();
        }
    }

    // ---------------------------------------------------------------- agents

    @ParameterizedTest
    @EnumSource(Engine.class)
    void agentsRoundTripEveryColumn(Engine engine) throws Exception {
        open(engine);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("env", "prod");
        attributes.put("data-class", "restricted");
        attributes.put("purpose", "quotes \" backslash \\ newline \n unicode é✓ 🔑 {\"json\": [1]}");
        Agent ephemeral = new Agent("bot-1", "team-a@example.org", AgentKind.EPHEMERAL, "a bot, with 'quotes'",
                attributes, AgentStatus.DECOMMISSIONED, T1, T0, T2);
        Agent persistent = new Agent("bot-2", "owner@example.org", AgentKind.PERSISTENT, null, Map.of(),
                AgentStatus.ACTIVE, null, T3, null);

        store.txRun(tx -> {
            tx.agents().insert(ephemeral);
            tx.agents().insert(persistent);
        });

        assertThat(store.read((Daos d) -> d.agents().find("bot-1"))).contains(ephemeral);
        assertThat(store.read((Daos d) -> d.agents().find("bot-2"))).contains(persistent);
        assertThat(store.read((Daos d) -> d.agents().find("bot-3"))).isEmpty();
        assertThat(store.read((Daos d) -> d.agents().findForUpdate("bot-2"))).contains(persistent);
    }

    /**
     * A host whose zone has daylight saving time: the autumn hour that local clocks repeat must not
     * shift instants (a revokeAfter an hour early would revoke before the grace period ends).
     */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void instantsRoundTripInTheRepeatedHourOfADaylightSavingZone(Engine engine) throws Exception {
        TimeZone original = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
        org.h2.util.DateTimeUtils.resetCalendar();
        try {
            open(engine);
            // 02:30 local happens twice in Berlin that night: at 00:30Z (CEST) and at 01:30Z (CET).
            Instant first = Instant.parse("2025-10-26T00:30:00.123Z");
            Instant second = Instant.parse("2025-10-26T01:30:00.456Z");
            Agent agent = new Agent("bot", "team@example.org", AgentKind.EPHEMERAL, null, Map.of(), AgentStatus.ACTIVE,
                    second, first, null);
            CredentialVersion version = new CredentialVersion("cred", 1, VersionState.PREVIOUS, "d", "k", null, first,
                    first, second, null, null, 0, null);
            Rotation rotation = new Rotation("r", "cred", 1, RotationTrigger.SCHEDULE, "scheduler", RotationState.RUNNING,
                    RotationStep.VERIFY, 0, second, null, false, "c", first, second, null);
            store.txRun(tx -> {
                tx.agents().insert(agent);
                tx.credentials().insert(credential("cred", "bot", second));
                tx.versions().insert(version);
                tx.rotations().insert(rotation);
                tx.audit().append(event(second, "credential:cred", "c", null));
            });

            assertThat(store.read((Daos d) -> d.agents().find("bot"))).contains(agent);
            assertThat(store.read((Daos d) -> d.credentials().find("cred")).orElseThrow().nextRotationAt()).isEqualTo(second);
            assertThat(store.read((Daos d) -> d.versions().find("cred", 1))).contains(version);
            assertThat(store.read((Daos d) -> d.rotations().find("r"))).contains(rotation);
            assertThat(store.read((Daos d) -> d.audit().list(null, null, Long.MAX_VALUE, 1)).get(0).at()).isEqualTo(second);
            // Queries compare with the instant, too: not due a millisecond before, due at it.
            assertThat(store.read((Daos d) -> d.versions().revocationsDue(second.minusMillis(1), 10))).isEmpty();
            assertThat(store.read((Daos d) -> d.versions().revocationsDue(second, 10))).containsExactly(version);
        } finally {
            TimeZone.setDefault(original);
            org.h2.util.DateTimeUtils.resetCalendar();
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void agentsAreDecommissionedAndExpiredEphemeralOnesFound(Engine engine) throws Exception {
        open(engine);
        store.txRun(tx -> {
            tx.agents().insert(agent("expired-late", AgentKind.EPHEMERAL, T2));
            tx.agents().insert(agent("expired-early", AgentKind.EPHEMERAL, T1));
            tx.agents().insert(agent("expires-later", AgentKind.EPHEMERAL, T3));
            tx.agents().insert(agent("persistent", AgentKind.PERSISTENT, null));
            tx.agents().insert(agent("gone", AgentKind.EPHEMERAL, T0));
            tx.agents().markDecommissioned("gone", T1);
        });

        assertThat(store.read((Daos d) -> d.agents().expiredEphemeral(T2, 10))).containsExactly("expired-early", "expired-late");
        assertThat(store.read((Daos d) -> d.agents().expiredEphemeral(T2, 1))).containsExactly("expired-early");
        Agent gone = store.read((Daos d) -> d.agents().find("gone")).orElseThrow();
        assertThat(gone.status()).isEqualTo(AgentStatus.DECOMMISSIONED);
        assertThat(gone.decommissionedAt()).isEqualTo(T1);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void agentsArePagedByKeyset(Engine engine) throws Exception {
        open(engine);
        List<String> ids = IntStream.range(0, 25).mapToObj(i -> String.format("agent-%02d", (i * 7) % 25)).toList();
        store.txRun(tx -> ids.forEach(id -> tx.agents().insert(agent(id, AgentKind.PERSISTENT, null))));

        List<List<String>> pages = new ArrayList<>();
        String after = null;
        while (true) {
            String from = after;
            List<String> page = store.read((Daos d) -> d.agents().list(from, 10)).stream().map(Agent::id).toList();
            if (page.isEmpty()) {
                break;
            }
            pages.add(page);
            after = page.get(page.size() - 1);
        }

        assertThat(pages).extracting(List::size).containsExactly(10, 10, 5);
        assertThat(pages.stream().flatMap(List::stream)).containsExactlyElementsOf(ids.stream().sorted().toList());
        assertThat(store.read((Daos d) -> d.agents().list("agent-09", 3))).extracting(Agent::id)
                .containsExactly("agent-10", "agent-11", "agent-12");
        assertThat(store.read((Daos d) -> d.agents().list("agent-24", 10))).isEmpty();
    }

    // ----------------------------------------------------------- credentials

    @ParameterizedTest
    @EnumSource(Engine.class)
    void credentialsRoundTripEveryColumn(Engine engine) throws Exception {
        open(engine);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("path", "billing/api key \"quoted\" é");
        params.put("mode", "0600");
        Credential every = new Credential("cred-every", "bot", CredentialType.API_KEY, "hsm",
                RotationPolicy.every(Duration.parse("P7DT3H")), Duration.parse("PT1H30M"),
                List.of(new TargetBinding("local-files", params), new TargetBinding("redis-main", Map.of("user", "bot")),
                        new TargetBinding("webhook", Map.of())),
                CredentialStatus.ACTIVE, T2, T1, null);
        Credential cron = new Credential("cred-cron", "bot", CredentialType.API_KEY, "vault",
                RotationPolicy.cron("0 15 10 ? * MON-FRI"), Duration.ZERO, List.of(), CredentialStatus.ACTIVE, null, T0,
                null);

        store.txRun(tx -> {
            tx.agents().insert(agent("bot", AgentKind.PERSISTENT, null));
            tx.credentials().insert(every);
            tx.credentials().insert(cron);
        });

        assertThat(store.read((Daos d) -> d.credentials().find("cred-every"))).contains(every);
        assertThat(store.read((Daos d) -> d.credentials().find("cred-cron"))).contains(cron);
        assertThat(store.read((Daos d) -> d.credentials().find("nope"))).isEmpty();
        assertThat(store.read((Daos d) -> d.credentials().find("cred-every")).orElseThrow().bindings())
                .extracting(TargetBinding::target).containsExactly("local-files", "redis-main", "webhook");

        store.txRun(tx -> {
            tx.credentials().setNextRotation("cred-cron", T3);
            tx.credentials().markDecommissioned("cred-every", T3);
        });
        Credential decommissioned = store.read((Daos d) -> d.credentials().find("cred-every")).orElseThrow();
        assertThat(decommissioned).isEqualTo(new Credential(every.id(), every.agentId(), every.type(), every.backend(),
                every.policy(), every.gracePeriod(), every.bindings(), CredentialStatus.DECOMMISSIONED, null,
                every.createdAt(), T3));
        assertThat(store.read((Daos d) -> d.credentials().find("cred-cron")).orElseThrow().nextRotationAt()).isEqualTo(T3);
        assertThat(store.read((Daos d) -> d.credentials().countByStatus()))
                .containsExactlyInAnyOrderEntriesOf(Map.of("ACTIVE", 1L, "DECOMMISSIONED", 1L));
        assertThat(store.read((Daos d) -> d.credentials().idsOfAgent("bot"))).containsExactly("cred-cron", "cred-every");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void credentialsRefuseAnUnknownAgent(Engine engine) throws Exception {
        open(engine);
        assertThatThrownBy(() -> store.txRun(tx -> tx.credentials().insert(credential("orphan", "no-such-agent", T1))))
                .isInstanceOf(UnableToExecuteStatementException.class);
        assertThat(store.read((Daos d) -> d.credentials().find("orphan"))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void credentialsDueAreActiveOnesAtOrBeforeNowSoonestFirst(Engine engine) throws Exception {
        open(engine);
        store.txRun(tx -> {
            tx.agents().insert(agent("bot", AgentKind.PERSISTENT, null));
            tx.credentials().insert(credential("late", "bot", T2));
            tx.credentials().insert(credential("early", "bot", T1));
            tx.credentials().insert(credential("future", "bot", T3));
            tx.credentials().insert(credential("unscheduled", "bot", null));
            tx.credentials().insert(credential("retired", "bot", T0));
            tx.credentials().markDecommissioned("retired", T0);
        });

        assertThat(store.read((Daos d) -> d.credentials().due(T2, 10))).containsExactly("early", "late");
        assertThat(store.read((Daos d) -> d.credentials().due(T2, 1))).containsExactly("early");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void credentialsArePagedByKeysetOverallAndPerAgent(Engine engine) throws Exception {
        open(engine);
        store.txRun(tx -> {
            tx.agents().insert(agent("a", AgentKind.PERSISTENT, null));
            tx.agents().insert(agent("b", AgentKind.PERSISTENT, null));
            for (int i = 0; i < 12; i++) {
                tx.credentials().insert(credential(String.format("c-%02d", i), i % 3 == 0 ? "b" : "a", T1));
            }
        });

        List<String> all = pageThrough((after, limit) -> store.read((Daos d) -> d.credentials().list(null, after, limit)), 5);
        List<String> ofA = pageThrough((after, limit) -> store.read((Daos d) -> d.credentials().list("a", after, limit)), 3);

        assertThat(all).containsExactlyElementsOf(IntStream.range(0, 12).mapToObj(i -> String.format("c-%02d", i)).toList());
        assertThat(ofA).containsExactly("c-01", "c-02", "c-04", "c-05", "c-07", "c-08", "c-10", "c-11");
        assertThat(store.read((Daos d) -> d.credentials().list("b", "c-03", 10))).extracting(Credential::id)
                .containsExactly("c-06", "c-09");
    }

    // -------------------------------------------------------------- versions

    @ParameterizedTest
    @EnumSource(Engine.class)
    void versionsRoundTripEveryColumnAndUpdate(Engine engine) throws Exception {
        open(engine);
        CredentialVersion revoked = new CredentialVersion("cred", 1, VersionState.REVOKED, "d1", "hsm/digest-key-1",
                "rot-1", T0, T1, T2, T3, RevocationReason.EMERGENCY, 3, "target said no: 'x' \"y\" é");
        CredentialVersion pending = CredentialVersion.pending("cred", 2, null, null, null, T3);
        withCredential("cred");

        store.txRun(tx -> {
            tx.versions().insert(revoked);
            tx.versions().insert(pending);
        });

        assertThat(store.read((Daos d) -> d.versions().find("cred", 1))).contains(revoked);
        assertThat(store.read((Daos d) -> d.versions().find("cred", 2))).contains(pending);
        assertThat(store.read((Daos d) -> d.versions().find("cred", 3))).isEmpty();
        assertThat(store.read((Daos d) -> d.versions().ofCredential("cred"))).containsExactly(revoked, pending);
        assertThat(store.read((Daos d) -> d.versions().maxVersion("cred"))).isEqualTo(2);
        assertThat(store.read((Daos d) -> d.versions().maxVersion("other"))).isZero();

        for (RevocationReason reason : RevocationReason.values()) {
            CredentialVersion updated = new CredentialVersion("cred", 2, VersionState.PREVIOUS, "d2", "vault/k:2",
                    "ignored-rotation-id", T0, T1, T2, T3, reason, 7, "boom");
            store.txRun(tx -> tx.versions().update(updated));
            // rotation_id and created_at are not mutable: update leaves them as inserted.
            assertThat(store.read((Daos d) -> d.versions().find("cred", 2))).contains(new CredentialVersion("cred", 2,
                    VersionState.PREVIOUS, "d2", "vault/k:2", null, T3, T1, T2, T3, reason, 7, "boom"));
        }
        assertThatThrownBy(() -> store.txRun(tx -> tx.versions().update(CredentialVersion.pending("cred", 9, null, null,
                null, T0)))).isInstanceOf(IllegalStateException.class).hasMessageContaining("does not exist");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void theUniqueDigestIndexRefusesADuplicateDigest(Engine engine) throws Exception {
        open(engine);
        withCredential("cred");
        withCredential("other", "bot-2");
        store.txRun(tx -> tx.versions().insert(CredentialVersion.pending("cred", 1, "same-digest", "k", null, T0)));

        assertThatThrownBy(() -> store.txRun(tx -> tx.versions().insert(
                CredentialVersion.pending("other", 1, "same-digest", "k", null, T1))))
                .isInstanceOf(UnableToExecuteStatementException.class);
        CredentialVersion v2 = CredentialVersion.pending("cred", 2, "d2", "k", null, T1);
        store.txRun(tx -> tx.versions().insert(v2));
        assertThatThrownBy(() -> store.txRun(tx -> tx.versions().update(v2.withDigest("same-digest", "k"))))
                .isInstanceOf(UnableToExecuteStatementException.class);

        // Versions without a digest yet are not duplicates of each other.
        store.txRun(tx -> {
            tx.versions().insert(CredentialVersion.pending("cred", 3, null, null, null, T1));
            tx.versions().insert(CredentialVersion.pending("other", 2, null, null, null, T1));
        });
        assertThat(store.read((Daos d) -> d.versions().ofCredential("other"))).extracting(CredentialVersion::version)
                .containsExactly(2);
        assertThat(store.read((Daos d) -> d.versions().find("cred", 2))).map(CredentialVersion::digest).contains("d2");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void versionsAreFoundByAnyOfTheirDigests(Engine engine) throws Exception {
        open(engine);
        withCredential("cred");
        CredentialVersion v1 = CredentialVersion.pending("cred", 1, "aaaa", "hsm/k", null, T0);
        CredentialVersion v2 = CredentialVersion.pending("cred", 2, "bbbb", "vault/k", null, T1);
        store.txRun(tx -> {
            tx.versions().insert(v1);
            tx.versions().insert(v2);
        });

        assertThat(store.read((Daos d) -> d.versions().findByDigest(List.of("zzzz", "bbbb")))).contains(v2);
        assertThat(store.read((Daos d) -> d.versions().findByDigest(Set.of("aaaa")))).contains(v1);
        assertThat(store.read((Daos d) -> d.versions().findByDigest(List.of("zzzz", "yyyy")))).isEmpty();
        assertThat(store.read((Daos d) -> d.versions().findByDigest(List.of()))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void revocationsDueArePreviousVersionsPastTheirGraceOldestFirst(Engine engine) throws Exception {
        open(engine);
        withCredential("a");
        withCredential("b", "bot-2");
        store.txRun(tx -> {
            tx.versions().insert(version("a", 1, VersionState.PREVIOUS, T2, null));
            tx.versions().insert(version("b", 1, VersionState.PREVIOUS, T1, null));
            tx.versions().insert(version("a", 2, VersionState.PREVIOUS, T3, null));
            tx.versions().insert(version("a", 3, VersionState.CURRENT, null, null));
            tx.versions().insert(version("b", 2, VersionState.REVOKED, T0, null));
            tx.versions().insert(version("b", 3, VersionState.PREVIOUS, T0, "target down"));
            tx.versions().insert(version("b", 4, VersionState.CURRENT, null, null));
        });

        assertThat(store.read((Daos d) -> d.versions().revocationsDue(T2, 10)))
                .extracting(v -> v.credentialId() + "#v" + v.version()).containsExactly("b#v3", "b#v1", "a#v1");
        assertThat(store.read((Daos d) -> d.versions().revocationsDue(T2, 2))).hasSize(2);
        assertThat(store.read((Daos d) -> d.versions().revocationsDue(T0.minusMillis(1), 10))).isEmpty();
        assertThat(store.read((Daos d) -> d.versions().failedRevocations())).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void versionsAreCountedByStateWithZerosForAbsentStates(Engine engine) throws Exception {
        open(engine);
        assertThat(store.read((Daos d) -> d.versions().countByState())).containsExactly(
                Map.entry("PENDING", 0L), Map.entry("CURRENT", 0L), Map.entry("PREVIOUS", 0L),
                Map.entry("REVOKED", 0L), Map.entry("FAILED", 0L));
        withCredential("a");
        store.txRun(tx -> {
            tx.versions().insert(version("a", 1, VersionState.REVOKED, null, null));
            tx.versions().insert(version("a", 2, VersionState.REVOKED, null, null));
            tx.versions().insert(version("a", 3, VersionState.PREVIOUS, T1, null));
            tx.versions().insert(version("a", 4, VersionState.CURRENT, null, null));
            tx.versions().insert(version("a", 5, VersionState.FAILED, null, null));
        });

        assertThat(store.read((Daos d) -> d.versions().countByState())).containsExactly(
                Map.entry("PENDING", 0L), Map.entry("CURRENT", 1L), Map.entry("PREVIOUS", 1L),
                Map.entry("REVOKED", 2L), Map.entry("FAILED", 1L));
    }

    // ------------------------------------------------------------- rotations

    @ParameterizedTest
    @EnumSource(Engine.class)
    void rotationsRoundTripEveryColumn(Engine engine) throws Exception {
        open(engine);
        withCredential("cred");
        Rotation running = new Rotation(UUID.randomUUID().toString(), "cred", 2, RotationTrigger.SCHEDULE, "scheduler",
                RotationState.RUNNING, RotationStep.DELIVER, 2, T2, "redis-main: connection refused", false,
                "corr-1", T0, T1, null);
        List<Rotation> finished = new ArrayList<>();
        int i = 0;
        for (RotationTrigger trigger : RotationTrigger.values()) {
            for (RotationStep step : RotationStep.values()) {
                i++;
                finished.add(new Rotation(UUID.randomUUID().toString(), "cred", i, trigger, "operator:alice",
                        i % 2 == 0 ? RotationState.SUCCEEDED : RotationState.FAILED, step, i, null, null,
                        i % 3 == 0, "corr-" + i, T0.plusSeconds(i), T1.plusMillis(i), T2.plusMillis(i)));
            }
        }

        store.txRun(tx -> {
            tx.rotations().insert(running);
            finished.forEach(tx.rotations()::insert);
        });

        assertThat(store.read((Daos d) -> d.rotations().find(running.id()))).contains(running);
        for (Rotation r : finished) {
            assertThat(store.read((Daos d) -> d.rotations().find(r.id()))).contains(r);
        }
        assertThat(store.read((Daos d) -> d.rotations().running("cred"))).contains(running);
        assertThat(store.read((Daos d) -> d.rotations().running("other"))).isEmpty();
        assertThat(store.read((Daos d) -> d.rotations().allRunning())).containsExactly(running);
        assertThat(store.read((Daos d) -> d.rotations().ofCredential("cred", 3))).extracting(Rotation::version)
                .containsExactly(i, i - 1, i - 2);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void advanceIsOptimisticAndAStaleExpectedRotationLoses(Engine engine) throws Exception {
        open(engine);
        withCredential("cred");
        Rotation created = rotation("r1", "cred", RotationState.RUNNING, RotationStep.CREATE, 0, T0, null);
        store.txRun(tx -> tx.rotations().insert(created));
        Rotation delivering = step(created, RotationStep.DELIVER, 0, T1);
        Rotation retried = step(created, RotationStep.CREATE, 1, T1);

        assertThat(store.tx((Daos tx) -> tx.rotations().advance(created, delivering))).isTrue();
        // A second worker still holding the CREATE/0 rotation must not overwrite DELIVER/0.
        assertThat(store.tx((Daos tx) -> tx.rotations().advance(created, retried))).isFalse();
        assertThat(store.read((Daos d) -> d.rotations().find("r1"))).contains(delivering);

        // Same step, other attempt count: also stale.
        Rotation deliverRetry = step(delivering, RotationStep.DELIVER, 1, T2);
        assertThat(store.tx((Daos tx) -> tx.rotations().advance(deliverRetry, step(delivering, RotationStep.VERIFY, 0, T2))))
                .isFalse();
        assertThat(store.tx((Daos tx) -> tx.rotations().advance(delivering, deliverRetry))).isTrue();

        Rotation done = new Rotation("r1", "cred", 1, created.trigger(), created.actor(), RotationState.SUCCEEDED,
                RotationStep.DONE, 0, null, null, false, created.correlationId(), T0, T3, T3);
        assertThat(store.tx((Daos tx) -> tx.rotations().advance(deliverRetry, done))).isTrue();
        assertThat(store.read((Daos d) -> d.rotations().find("r1"))).contains(done);
        // A finished rotation never moves again, even with the right step and attempts.
        assertThat(store.tx((Daos tx) -> tx.rotations().advance(done, step(done, RotationStep.DONE, 0, T3)))).isFalse();
        assertThat(store.tx((Daos tx) -> tx.rotations().advance(rotation("r-none", "cred", RotationState.RUNNING,
                RotationStep.CREATE, 0, T0, null), delivering))).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void stepsAreRecordedInSequence(Engine engine) throws Exception {
        open(engine);
        withCredential("cred");
        store.txRun(tx -> {
            tx.rotations().insert(rotation("r1", "cred", RotationState.RUNNING, RotationStep.CREATE, 0, T0, null));
            tx.rotations().insert(rotation("r2", "cred", RotationState.RUNNING, RotationStep.CREATE, 0, T0, null));
            tx.rotations().recordStep("r1", "CREATE", 1, "OK", null, T0, T1);
            tx.rotations().recordStep("r2", "CREATE", 1, "OK", null, T0, T1);
            tx.rotations().recordStep("r1", "DELIVER", 1, "RETRY", "timeout", T1, T2);
            tx.rotations().recordStep("r1", "DELIVER", 2, "OK", null, T2, T3);
        });

        assertThat(store.read((Daos d) -> d.rotations().steps("r1"))).containsExactly(
                new RotationDao.StepRecord(1, "CREATE", 1, "OK", null, T0, T1),
                new RotationDao.StepRecord(2, "DELIVER", 1, "RETRY", "timeout", T1, T2),
                new RotationDao.StepRecord(3, "DELIVER", 2, "OK", null, T2, T3));
        assertThat(store.read((Daos d) -> d.rotations().steps("r2"))).hasSize(1);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void latestFailedShowsCredentialsWhoseLastFinishedRotationFailed(Engine engine) throws Exception {
        open(engine);
        for (String c : List.of("healed", "broken", "retrying", "twice", "fine")) {
            withCredential(c, "agent-" + c);
        }
        store.txRun(tx -> {
            // A later SUCCEEDED hides an older FAILED.
            tx.rotations().insert(rotation("healed-1", "healed", RotationState.FAILED, RotationStep.DONE, 5, T0, T0.plusSeconds(1)));
            tx.rotations().insert(rotation("healed-2", "healed", RotationState.SUCCEEDED, RotationStep.DONE, 0, T1, T1.plusSeconds(1)));
            // A FAILED after a SUCCEEDED shows.
            tx.rotations().insert(rotation("broken-1", "broken", RotationState.SUCCEEDED, RotationStep.DONE, 0, T0, T0.plusSeconds(2)));
            tx.rotations().insert(rotation("broken-2", "broken", RotationState.FAILED, RotationStep.DONE, 5, T1, T2));
            // A rotation still running does not hide the failure before it.
            tx.rotations().insert(rotation("retrying-1", "retrying", RotationState.FAILED, RotationStep.DONE, 5, T0, T1));
            tx.rotations().insert(rotation("retrying-2", "retrying", RotationState.RUNNING, RotationStep.DELIVER, 1, T2, null));
            // Two failures: only the latest shows.
            tx.rotations().insert(rotation("twice-1", "twice", RotationState.FAILED, RotationStep.DONE, 5, T0, T0.plusSeconds(3)));
            tx.rotations().insert(rotation("twice-2", "twice", RotationState.FAILED, RotationStep.DONE, 5, T2, T3));
            tx.rotations().insert(rotation("fine-1", "fine", RotationState.SUCCEEDED, RotationStep.DONE, 0, T0, T1));
        });

        assertThat(store.read((Daos d) -> d.rotations().latestFailed(10))).extracting(Rotation::id)
                .containsExactly("twice-2", "broken-2", "retrying-1");
        assertThat(store.read((Daos d) -> d.rotations().latestFailed(1))).extracting(Rotation::id).containsExactly("twice-2");
    }

    // ------------------------------------------------------------ deliveries

    @ParameterizedTest
    @EnumSource(Engine.class)
    void deliveriesRecordDeliveryVerificationAndRemovalPerBinding(Engine engine) throws Exception {
        open(engine);
        store.txRun(tx -> {
            tx.deliveries().delivered("cred", 2, 0, "local-files", T0);
            tx.deliveries().delivered("cred", 2, 1, "redis-main", T0);
            tx.deliveries().verified("cred", 2, 0, T1);
            tx.deliveries().removed("cred", 2, 1, T2);
        });
        assertThat(deliveries()).containsExactly(
                new DeliveryRow("cred", 2, 0, "local-files", T0, T1, null),
                new DeliveryRow("cred", 2, 1, "redis-main", T0, null, T2));

        // Delivering again (a retried step) restarts the binding's record instead of failing on the key.
        store.txRun(tx -> tx.deliveries().delivered("cred", 2, 0, "local-files", T3));
        store.txRun(tx -> tx.deliveries().delivered("cred", 2, 1, "redis-main", T3));
        assertThat(deliveries()).containsExactly(
                new DeliveryRow("cred", 2, 0, "local-files", T3, null, null),
                new DeliveryRow("cred", 2, 1, "redis-main", T3, null, null));
    }

    // ----------------------------------------------------------------- audit

    @ParameterizedTest
    @EnumSource(Engine.class)
    void auditEventsRoundTripAndListNewestFirst(Engine engine) throws Exception {
        open(engine);
        store.txRun(tx -> {
            tx.audit().append(event(T0, "credential:billing", "c1", "created"));
            tx.audit().append(event(T1, "credential:billing/v2", "c2", "rotation step"));
            tx.audit().append(event(T1, "credential:billing-2", "c2", null));
            tx.audit().append(event(T2, "agent:billing", "c3", null));
            tx.audit().append(event(T3, "credential:billing/v3", null, "é \"quoted\""));
        });

        List<AuditEvent> all = store.read((Daos d) -> d.audit().list(null, null, Long.MAX_VALUE, 100));
        assertThat(all).extracting(AuditEvent::subject).containsExactly("credential:billing/v3", "agent:billing",
                "credential:billing-2", "credential:billing/v2", "credential:billing");
        assertThat(all).extracting(AuditEvent::id).isSortedAccordingTo((a, b) -> Long.compare(b, a)).doesNotHaveDuplicates();
        AuditEvent first = all.get(all.size() - 1);
        assertThat(first).isEqualTo(new AuditEvent(first.id(), T0, "operator:alice", "credential.created",
                "credential:billing", "ok", "c1", "created", "node-a"));
        assertThat(all.get(0).correlationId()).isNull();
        assertThat(all.get(0).details()).isEqualTo("é \"quoted\"");

        long beforeId = all.get(1).id();
        assertThat(store.read((Daos d) -> d.audit().list(null, null, beforeId, 2))).extracting(AuditEvent::subject)
                .containsExactly("credential:billing-2", "credential:billing/v2");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void auditEventsAreFilteredBySubjectPrefixAndCorrelationId(Engine engine) throws Exception {
        open(engine);
        store.txRun(tx -> {
            tx.audit().append(event(T0, "credential:a_b", "c1", null));
            tx.audit().append(event(T0, "credential:a_b/v1", "c1", null));
            tx.audit().append(event(T1, "credential:axb/v1", "c1", null));
            tx.audit().append(event(T1, "credential:a_bc", "c2", null));
            tx.audit().append(event(T2, "credential:a%b/v2", "c2", null));
            tx.audit().append(event(T2, "credential:a_b/v2", "c2", null));
            tx.audit().append(event(T3, "credential:a%xb/v1", "c3", null));
        });

        // Exact subject or its sub-subjects; '_' and '%' in ids are literal, not wildcards.
        assertThat(subjects(store.read((Daos d) -> d.audit().list("credential:a_b", null, Long.MAX_VALUE, 100))))
                .containsExactly("credential:a_b/v2", "credential:a_b/v1", "credential:a_b");
        assertThat(subjects(store.read((Daos d) -> d.audit().list("credential:a%b", null, Long.MAX_VALUE, 100))))
                .containsExactly("credential:a%b/v2");
        assertThat(subjects(store.read((Daos d) -> d.audit().list(null, "c2", Long.MAX_VALUE, 100))))
                .containsExactly("credential:a_b/v2", "credential:a%b/v2", "credential:a_bc");
        assertThat(subjects(store.read((Daos d) -> d.audit().list("credential:a_b", "c1", Long.MAX_VALUE, 100))))
                .containsExactly("credential:a_b/v1", "credential:a_b");
        assertThat(subjects(store.read((Daos d) -> d.audit().list("credential:a_b", "c3", Long.MAX_VALUE, 100)))).isEmpty();
        assertThat(subjects(store.read((Daos d) -> d.audit().list("credential:a_b", null, Long.MAX_VALUE, 1))))
                .containsExactly("credential:a_b/v2");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void auditTruncatesOverlongFieldsInsteadOfFailing(Engine engine) throws Exception {
        open(engine);
        store.txRun(tx -> tx.audit().append(new AuditEvent(0, T0, "a".repeat(300), "credential.created",
                "s".repeat(600), "ok", "c", "d".repeat(5000), null)));

        AuditEvent e = store.read((Daos d) -> d.audit().list(null, null, Long.MAX_VALUE, 1)).get(0);
        assertThat(e.actor()).hasSize(256);
        assertThat(e.subject()).hasSize(512);
        assertThat(e.details()).hasSize(4000);
        assertThat(e.node()).isNull();
    }

    // ---------------------------------------------------------------- tokens

    @ParameterizedTest
    @EnumSource(Engine.class)
    void tokensAreFoundByDigestReplacedByNameAndHiddenWhenRevoked(Engine engine) throws Exception {
        open(engine);
        String d1 = "1".repeat(64);
        String d2 = "2".repeat(64);
        store.txRun(tx -> tx.tokens().upsert("admin", d1, "admin", T0));

        assertThat(store.read((Daos d) -> d.tokens().findActive(d1, T3))).contains(new TokenDao.TokenRecord("admin", "admin"));
        assertThat(store.read((Daos d) -> d.tokens().findActive(d2, T3))).isEmpty();
        Instant createdAt = db.jdbi().withHandle(h -> h.createQuery("SELECT created_at FROM api_tokens WHERE name = 'admin'")
                .mapTo(Instant.class).one());
        assertThat(createdAt).isEqualTo(T0);

        store.txRun(tx -> tx.tokens().upsert("admin", d2, "operator", T1));
        assertThat(store.read((Daos d) -> d.tokens().findActive(d1, T3))).isEmpty();
        assertThat(store.read((Daos d) -> d.tokens().findActive(d2, T3))).contains(new TokenDao.TokenRecord("admin", "operator"));

        db.jdbi().useHandle(h -> h.createUpdate("UPDATE api_tokens SET revoked_at = :at").bind("at", T2).execute());
        assertThat(store.read((Daos d) -> d.tokens().findActive(d2, T3))).isEmpty();
        store.txRun(tx -> tx.tokens().upsert("admin", d2, "admin", T3));
        assertThat(store.read((Daos d) -> d.tokens().findActive(d2, T3))).contains(new TokenDao.TokenRecord("admin", "admin"));

        // One digest belongs to one name.
        assertThatThrownBy(() -> store.txRun(tx -> tx.tokens().upsert("ci", d2, "operator", T3)))
                .isInstanceOf(UnableToExecuteStatementException.class);
    }

    // ----------------------------------------------------------------- locks

    @ParameterizedTest
    @EnumSource(Engine.class)
    void credentialFindForUpdateBlocksASecondTransactionUntilTheFirstCommits(Engine engine) throws Exception {
        open(engine);
        withCredential("cred");
        Instant before = store.read((Daos d) -> d.credentials().find("cred")).orElseThrow().nextRotationAt();

        Instant seen = secondLockerWaitsForFirst(
                daos -> daos.credentials().findForUpdate("cred").orElseThrow(),
                daos -> daos.credentials().setNextRotation("cred", T3),
                daos -> daos.credentials().findForUpdate("cred").orElseThrow().nextRotationAt());

        assertThat(before).isNotEqualTo(T3);
        assertThat(seen).isEqualTo(T3);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void agentFindForUpdateBlocksASecondTransactionUntilTheFirstCommits(Engine engine) throws Exception {
        open(engine);
        store.txRun(tx -> tx.agents().insert(agent("bot", AgentKind.PERSISTENT, null)));

        AgentStatus seen = secondLockerWaitsForFirst(
                daos -> daos.agents().findForUpdate("bot").orElseThrow(),
                daos -> daos.agents().markDecommissioned("bot", T3),
                daos -> daos.agents().findForUpdate("bot").orElseThrow().status());

        assertThat(seen).isEqualTo(AgentStatus.DECOMMISSIONED);
    }

    /**
     * Transaction A locks (and then changes) a row; transaction B, on another thread, asks for the
     * same lock. B must be seen waiting on A in the engine's own lock tables, and must get the lock,
     * and see A's change, only after A commits.
     */
    private <T> T secondLockerWaitsForFirst(Consumer<Daos> lock, Consumer<Daos> change, Function<Daos, T> lockAndRead)
            throws Exception {
        CountDownLatch aLocked = new CountDownLatch(1);
        CountDownLatch aMayCommit = new CountDownLatch(1);
        AtomicReference<Integer> bSession = new AtomicReference<>();
        AtomicReference<T> bSaw = new AtomicReference<>();

        Future<?> a = threads.submit(() -> {
            db.jdbi().useTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> {
                Daos daos = new Daos(h);
                lock.accept(daos);
                change.accept(daos);
                aLocked.countDown();
                if (!aMayCommit.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never released transaction A");
                }
            });
            return null;
        });
        assertThat(aLocked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        Future<?> b = threads.submit(() -> db.jdbi().useTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> {
            bSession.set(sessionId(h));
            bSaw.set(lockAndRead.apply(new Daos(h)));
        }));

        // B is blocked by A: the database itself says that B's session waits for a lock.
        await().atMost(WAIT).until(() -> bSession.get() != null && isWaitingForLock(bSession.get()));
        assertThat(b.isDone()).isFalse();
        assertThat(bSaw.get()).isNull();

        aMayCommit.countDown();
        a.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        b.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return bSaw.get();
    }

    private int sessionId(Handle h) {
        return db.postgres()
                ? h.createQuery("SELECT pg_backend_pid()").mapTo(Integer.class).one()
                : h.createQuery("SELECT SESSION_ID()").mapTo(Integer.class).one();
    }

    private boolean isWaitingForLock(int session) {
        return db.jdbi().withHandle(h -> db.postgres()
                ? h.createQuery("SELECT cardinality(pg_blocking_pids(:pid)) > 0").bind("pid", session)
                        .mapTo(Boolean.class).one()
                : h.createQuery("SELECT BLOCKER_ID IS NOT NULL FROM INFORMATION_SCHEMA.SESSIONS WHERE SESSION_ID = :id")
                        .bind("id", session).mapTo(Boolean.class).findOne().orElse(false));
    }

    // --------------------------------------------------------------- schedule

    @ParameterizedTest
    @EnumSource(Engine.class)
    void scheduleAntiJoinsFindWorkWithoutTriggersUntilTheSchedulerCreatesThem(Engine engine) throws Exception {
        open(engine);
        String sched = "store-test-" + UUID.randomUUID().toString().substring(0, 8);
        QuartzWorkScheduler scheduler = db.scheduler(TestDatabase.schedulerConfig(sched), new RecordingJobHandler());
        scheduler.start(); // on an empty database: reconcile() finds nothing to schedule

        Instant far = Instant.now().truncatedTo(ChronoUnit.MILLIS).plus(Duration.ofDays(3650));
        Instant farther = far.plusSeconds(60);
        store.txRun(tx -> {
            tx.agents().insert(agent("bot", AgentKind.PERSISTENT, null));
            tx.agents().insert(agent("temp-2", AgentKind.EPHEMERAL, farther));
            tx.agents().insert(agent("temp-1", AgentKind.EPHEMERAL, far));
            tx.agents().insert(agent("temp-gone", AgentKind.EPHEMERAL, far));
            tx.agents().markDecommissioned("temp-gone", T0);
            tx.agents().insert(agent("forever", AgentKind.EPHEMERAL, null));
            tx.credentials().insert(credential("cred-2", "bot", farther));
            tx.credentials().insert(credential("cred-1", "bot", far));
            tx.credentials().insert(credential("manual", "bot", null));
            tx.credentials().insert(credential("retired", "bot", far));
            tx.credentials().markDecommissioned("retired", T0);
            tx.versions().insert(version("cred-1", 1, VersionState.PREVIOUS, farther, null));
            tx.versions().insert(version("cred-1", 2, VersionState.PREVIOUS, far, null));
            tx.versions().insert(version("cred-1", 3, VersionState.CURRENT, null, null));
            tx.versions().insert(version("cred-2", 1, VersionState.REVOKED, far, null));
        });

        assertThat(store.read((Daos d) -> d.schedules().rotationsWithoutTrigger(sched, farther, 10))).containsExactly(
                new ScheduleDao.Due("cred-1", 0, far), new ScheduleDao.Due("cred-2", 0, farther));
        assertThat(store.read((Daos d) -> d.schedules().revocationsWithoutTrigger(sched, farther, 10))).containsExactly(
                new ScheduleDao.Due("cred-1", 2, far), new ScheduleDao.Due("cred-1", 1, farther));
        assertThat(store.read((Daos d) -> d.schedules().expiriesWithoutTrigger(sched, 10))).containsExactly(
                new ScheduleDao.Due("temp-1", 0, far), new ScheduleDao.Due("temp-2", 0, farther));
        assertThat(store.read((Daos d) -> d.schedules().rotationsWithoutTrigger(sched, farther, 1))).hasSize(1);
        // Only what is due within the horizon asked for; an outstanding removal whatever its time.
        assertThat(store.read((Daos d) -> d.schedules().rotationsWithoutTrigger(sched, far, 10)))
                .extracting(ScheduleDao.Due::credentialId).containsExactly("cred-1");
        assertThat(store.read((Daos d) -> d.schedules().revocationsWithoutTrigger(sched, far.minusSeconds(1), 10)))
                .isEmpty();

        scheduler.rotateAt("cred-1", far);
        scheduler.revokeAt("cred-1", 2, far);
        scheduler.decommissionAt("temp-1", far);

        assertThat(store.read((Daos d) -> d.schedules().rotationsWithoutTrigger(sched, farther, 10))).extracting(ScheduleDao.Due::credentialId)
                .containsExactly("cred-2");
        assertThat(store.read((Daos d) -> d.schedules().revocationsWithoutTrigger(sched, farther, 10))).extracting(ScheduleDao.Due::version)
                .containsExactly(1);
        assertThat(store.read((Daos d) -> d.schedules().expiriesWithoutTrigger(sched, 10))).extracting(ScheduleDao.Due::credentialId)
                .containsExactly("temp-2");
        // Another scheduler's triggers do not count.
        assertThat(store.read((Daos d) -> d.schedules().rotationsWithoutTrigger("some-other-node", farther, 10))).hasSize(2);

        scheduler.rotateAt("cred-2", farther);
        scheduler.revokeAt("cred-1", 1, farther);
        scheduler.decommissionAt("temp-2", farther);
        assertThat(store.read((Daos d) -> d.schedules().rotationsWithoutTrigger(sched, farther, 10))).isEmpty();
        assertThat(store.read((Daos d) -> d.schedules().revocationsWithoutTrigger(sched, farther, 10))).isEmpty();
        assertThat(store.read((Daos d) -> d.schedules().expiriesWithoutTrigger(sched, 10))).isEmpty();

        scheduler.forgetCredential("cred-2");
        assertThat(store.read((Daos d) -> d.schedules().rotationsWithoutTrigger(sched, farther, 10))).extracting(ScheduleDao.Due::credentialId)
                .containsExactly("cred-2");
    }

    // --------------------------------------------------------------- helpers

    private static Agent agent(String id, AgentKind kind, Instant expiresAt) {
        return new Agent(id, id + "-owner@example.org", kind, null, Map.of("env", "test"), AgentStatus.ACTIVE,
                expiresAt, T0, null);
    }

    private static Credential credential(String id, String agentId, Instant next) {
        return new Credential(id, agentId, CredentialType.API_KEY, "hsm", RotationPolicy.every(Duration.ofDays(30)),
                Duration.ofHours(1), List.of(new TargetBinding("local-files", Map.of("path", id + "/api-key"))),
                CredentialStatus.ACTIVE, next, T0, null);
    }

    private void withCredential(String credentialId) {
        withCredential(credentialId, "bot");
    }

    private void withCredential(String credentialId, String agentId) {
        store.txRun(tx -> {
            if (tx.agents().find(agentId).isEmpty()) {
                tx.agents().insert(agent(agentId, AgentKind.PERSISTENT, null));
            }
            tx.credentials().insert(credential(credentialId, agentId, T1));
        });
    }

    private static CredentialVersion version(String credentialId, int version, VersionState state, Instant revokeAfter,
                                             String revokeError) {
        return new CredentialVersion(credentialId, version, state, null, null, null, T0,
                state == VersionState.PENDING ? null : T0, revokeAfter, null, null, revokeError == null ? 0 : 1,
                revokeError);
    }

    private static Rotation rotation(String id, String credentialId, RotationState state, RotationStep step,
                                     int attempts, Instant startedAt, Instant finishedAt) {
        return new Rotation(id, credentialId, 1, RotationTrigger.SCHEDULE, "scheduler", state, step, attempts, null,
                state == RotationState.FAILED ? "gave up" : null, false, "corr-" + id, startedAt,
                finishedAt == null ? startedAt : finishedAt, finishedAt);
    }

    private static Rotation step(Rotation r, RotationStep step, int attempts, Instant now) {
        return new Rotation(r.id(), r.credentialId(), r.version(), r.trigger(), r.actor(), RotationState.RUNNING, step,
                attempts, now.plusSeconds(5), attempts > 0 ? "retry" : null, r.emergency(), r.correlationId(),
                r.startedAt(), now, null);
    }

    private static AuditEvent event(Instant at, String subject, String correlationId, String details) {
        return new AuditEvent(0, at, "operator:alice", "credential.created", subject, "ok", correlationId, details, "node-a");
    }

    private static List<String> subjects(List<AuditEvent> events) {
        return events.stream().map(AuditEvent::subject).collect(Collectors.toList());
    }

    private static List<String> pageThrough(BiFunction<String, Integer, List<Credential>> page, int size) {
        List<String> out = new ArrayList<>();
        String after = null;
        while (true) {
            List<Credential> p = page.apply(after, size);
            assertThat(p.size()).isLessThanOrEqualTo(size);
            if (p.isEmpty()) {
                return out;
            }
            p.forEach(c -> out.add(c.id()));
            after = p.get(p.size() - 1).id();
        }
    }

    /** One row of {@code deliveries}, read behind the DAO's back (it has no reader). */
    private record DeliveryRow(String credentialId, int version, int bindingIndex, String target, Instant deliveredAt,
                               Instant verifiedAt, Instant removedAt) {
    }

    private List<DeliveryRow> deliveries() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM deliveries ORDER BY credential_id, version, binding_index")
                .map((rs, ctx) -> new DeliveryRow(rs.getString("credential_id"), rs.getInt("version"),
                        rs.getInt("binding_index"), rs.getString("target"), AgentDao.instant(rs.getTimestamp("delivered_at")),
                        AgentDao.instant(rs.getTimestamp("verified_at")), AgentDao.instant(rs.getTimestamp("removed_at"))))
                .list());
    }
}
