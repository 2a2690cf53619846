package dev.rotakey.schedule;

import dev.rotakey.config.SchedulerFactory;

import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.VersionState;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.testing.RecordingJobHandler;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.rotakey.testing.RecordingJobHandler.CONTINUE;
import static dev.rotakey.testing.RecordingJobHandler.DECOMMISSION;
import static dev.rotakey.testing.RecordingJobHandler.REVOKE;
import static dev.rotakey.testing.RecordingJobHandler.ROTATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The real Quartz scheduler with its JDBC job store on H2 and PostgreSQL: firing, rescheduling, restarts, misfires, the kill switch and reconciliation. */
class QuartzWorkSchedulerIT {
    /** How long a due trigger may take to fire; they fire within tens of milliseconds. */
    private static final Duration FIRE = Duration.ofSeconds(10);
    /** How long a held trigger is watched after a later sentinel trigger has fired. */
    private static final Duration QUIET = Duration.ofMillis(300);

    @TempDir
    Path dir;
    private TestDatabase db;
    private String instanceName;

    private QuartzWorkScheduler start(Engine engine, RecordingJobHandler handler) throws Exception {
        return start(engine, handler, null);
    }

    /** @param horizon the scheduler's trigger horizon, or null for the tests' default (beyond anything they schedule) */
    private QuartzWorkScheduler start(Engine engine, RecordingJobHandler handler, Duration horizon) throws Exception {
        db = TestDatabases.open(engine, dir);
        instanceName = "qt-" + UUID.randomUUID().toString().substring(0, 8);
        return restart(handler, horizon);
    }

    /** A new scheduler on the same database and instance name, as after a daemon restart. */
    private QuartzWorkScheduler restart(RecordingJobHandler handler) throws Exception {
        return restart(handler, null);
    }

    private QuartzWorkScheduler restart(RecordingJobHandler handler, Duration horizon) throws Exception {
        SchedulerFactory config = TestDatabase.schedulerConfig(instanceName);
        if (horizon != null) {
            config.setTriggerHorizon(horizon);
        }
        QuartzWorkScheduler s = db.scheduler(config, handler);
        s.start();
        assertThat(s.running()).isTrue();
        return s;
    }

    @AfterEach
    void close() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aTriggerDueIn200MillisecondsFiresTheHandlerWithItsData(Engine engine) throws Exception {
        RecordingJobHandler handler = new RecordingJobHandler();
        QuartzWorkScheduler scheduler = start(engine, handler);
        Instant at = soon(200);

        scheduler.rotateAt("cred-1", at);
        scheduler.continueRotationAt("rot-1", at);
        scheduler.revokeAt("cred-1", 7, at);
        scheduler.decommissionAt("agent-1", at);
        // On a busy machine the four transactions above can outlast the 200 ms and the trigger is gone
        // already; the other tests read nextRotation of triggers far in the future.
        assertThat(scheduler.nextRotation("cred-1")).isIn(at, null);

        await().atMost(FIRE).until(() -> handler.calls().size() == 4);
        assertThat(handler.calls()).extracting(c -> c.kind() + ":" + c.subject()).containsExactlyInAnyOrder(
                "rotate:cred-1", "continue:rot-1", "revoke:cred-1#v7", "decommission:agent-1");
        // Not early (Quartz may fire up to 2 ms before the mark), and not late by more than the bound.
        assertThat(handler.calls()).allSatisfy(c -> assertThat(c.at()).isAfterOrEqualTo(at.minusMillis(5)));
        // One-shot triggers are gone once fired.
        assertThat(scheduler.nextRotation("cred-1")).isNull();
        await().atMost(FIRE).until(() -> triggers(null, null) == 0);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void schedulingTheSameWorkTwiceKeepsOneRescheduledTrigger(Engine engine) throws Exception {
        RecordingJobHandler handler = new RecordingJobHandler();
        QuartzWorkScheduler scheduler = start(engine, handler);
        Instant later = soon(3_600_000);
        Instant at = soon(200);

        Instant latest = later.plusSeconds(60);
        scheduler.rotateAt("twice", later);
        scheduler.rotateAt("twice", latest);
        scheduler.revokeAt("twice", 1, latest);
        scheduler.revokeAt("twice", 1, later);
        assertThat(triggers(QuartzWorkScheduler.ROTATE, "twice")).isEqualTo(1);
        assertThat(triggers(QuartzWorkScheduler.REVOKE, "twice#v1")).isEqualTo(1);
        assertThat(scheduler.nextRotation("twice")).isEqualTo(latest);

        scheduler.rotateAt("earlier", later);
        scheduler.rotateAt("earlier", at);
        scheduler.revokeAt("earlier", 1, later);
        scheduler.revokeAt("earlier", 1, at);
        scheduler.rotateAt("postponed", soon(1_000));
        scheduler.rotateAt("postponed", later);
        // Due after the postponed trigger's first time: once it has fired, that time has passed.
        scheduler.continueRotationAt("sentinel", soon(1_200));

        await().atMost(FIRE).until(() -> handler.called(CONTINUE, "sentinel")
                && handler.called(ROTATE, "earlier") && handler.called(REVOKE, "earlier#v1"));
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> !handler.called(ROTATE, "postponed"));
        assertThat(handler.count(ROTATE, "earlier")).isEqualTo(1);
        assertThat(handler.count(REVOKE, "earlier#v1")).isEqualTo(1);
        assertThat(scheduler.nextRotation("postponed")).isEqualTo(later);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aTriggerScheduledInThePastFiresAtOnce(Engine engine) throws Exception {
        RecordingJobHandler handler = new RecordingJobHandler();
        QuartzWorkScheduler scheduler = start(engine, handler);

        // Just past, and past by far more than the misfire threshold (a minute by default).
        scheduler.rotateAt("overdue-a-little", soon(-500));
        scheduler.revokeAt("overdue-by-hours", 3, soon(-3 * 3_600_000));
        scheduler.decommissionAt("expired-yesterday", soon(-86_400_000));
        Instant asked = Instant.now();

        await().atMost(FIRE).untilAsserted(() -> assertThat(handler.calls()).extracting(RecordingJobHandler.Call::subject)
                .containsExactlyInAnyOrder("overdue-a-little", "overdue-by-hours#v3", "expired-yesterday"));
        assertThat(handler.calls()).allSatisfy(c -> assertThat(Duration.between(asked, c.at())).isLessThan(FIRE));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aTriggerSurvivesASchedulerRestart(Engine engine) throws Exception {
        RecordingJobHandler before = new RecordingJobHandler();
        QuartzWorkScheduler first = start(engine, before);
        Instant far = soon(3_600_000);
        Instant at = soon(2_000);
        first.rotateAt("far", far);
        first.rotateAt("soon", at);
        first.revokeAt("soon", 2, at);
        first.stop();
        assertThat(first.running()).isFalse();

        RecordingJobHandler after = new RecordingJobHandler();
        QuartzWorkScheduler second = restart(after);

        assertThat(second.nextRotation("far")).isEqualTo(far);
        await().atMost(FIRE.plus(Duration.ofSeconds(2))).until(() -> after.called(ROTATE, "soon") && after.called(REVOKE, "soon#v2"));
        assertThat(before.calls()).as("the first scheduler was stopped before the triggers were due").isEmpty();
        assertThat(after.first(ROTATE, "soon").orElseThrow().at()).isAfterOrEqualTo(at.minusMillis(5));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aTriggerWhoseTimePassedWhileStoppedFiresOnStart(Engine engine) throws Exception {
        RecordingJobHandler before = new RecordingJobHandler();
        QuartzWorkScheduler first = start(engine, before);
        first.rotateAt("missed", soon(3_600_000));
        first.revokeAt("missed", 4, soon(3_600_000));
        first.decommissionAt("still-far", soon(3_600_000));
        first.stop();
        // The daemon was down for two hours: the two triggers' time passed long ago (a misfire, not just a late trigger).
        long twoHoursAgo = Instant.now().minus(Duration.ofHours(2)).toEpochMilli();
        movePersistedTrigger(QuartzWorkScheduler.ROTATE, "missed", twoHoursAgo);
        movePersistedTrigger(QuartzWorkScheduler.REVOKE, "missed#v4", twoHoursAgo);

        RecordingJobHandler after = new RecordingJobHandler();
        Instant started = Instant.now();
        restart(after);

        await().atMost(FIRE).until(() -> after.called(ROTATE, "missed") && after.called(REVOKE, "missed#v4"));
        assertThat(Duration.between(started, after.first(ROTATE, "missed").orElseThrow().at())).isLessThan(FIRE);
        assertThat(after.called(DECOMMISSION, "still-far")).isFalse();
        assertThat(before.calls()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void pauseHoldsRotateAndRevokeButContinueAndDecommissionStillFire(Engine engine) throws Exception {
        RecordingJobHandler handler = new RecordingJobHandler();
        QuartzWorkScheduler scheduler = start(engine, handler);
        assertThat(scheduler.paused()).isFalse();
        scheduler.rotateAt("scheduled-before-pause", soon(600));
        scheduler.revokeAt("scheduled-before-pause", 1, soon(600));

        scheduler.pause();
        scheduler.rotateAt("scheduled-while-paused", soon(200));
        scheduler.revokeAt("scheduled-while-paused", 1, soon(200));
        // Due after every held trigger: once these have fired, the held ones would have fired too.
        scheduler.continueRotationAt("operator-rotation", soon(800));
        scheduler.decommissionAt("ephemeral-agent", soon(800));

        assertThat(scheduler.paused()).isTrue();
        await().atMost(FIRE).until(() -> handler.called(CONTINUE, "operator-rotation")
                && handler.called(DECOMMISSION, "ephemeral-agent"));
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> handler.calls().size() == 2);

        scheduler.resume();
        assertThat(scheduler.paused()).isFalse();
        await().atMost(FIRE).until(() -> handler.calls().size() == 6);
        assertThat(handler.calls()).extracting(c -> c.kind() + ":" + c.subject()).containsExactlyInAnyOrder(
                "continue:operator-rotation", "decommission:ephemeral-agent",
                "rotate:scheduled-before-pause", "revoke:scheduled-before-pause#v1",
                "rotate:scheduled-while-paused", "revoke:scheduled-while-paused#v1");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void thePausedStateSurvivesARestartAndResumeFiresTheHeldTriggers(Engine engine) throws Exception {
        RecordingJobHandler before = new RecordingJobHandler();
        QuartzWorkScheduler first = start(engine, before);
        first.pause();
        first.rotateAt("held", soon(200));
        first.revokeAt("held", 5, soon(200));
        first.stop();

        RecordingJobHandler after = new RecordingJobHandler();
        QuartzWorkScheduler second = restart(after);
        assertThat(second.paused()).isTrue();
        second.rotateAt("held-too", soon(100));
        second.continueRotationAt("sentinel", soon(400));
        await().atMost(FIRE).until(() -> after.called(CONTINUE, "sentinel"));
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> after.calls().size() == 1);
        assertThat(before.calls()).isEmpty();

        second.resume();

        await().atMost(FIRE).until(() -> after.called(ROTATE, "held") && after.called(REVOKE, "held#v5")
                && after.called(ROTATE, "held-too"));
        assertThat(second.paused()).isFalse();
        second.stop();
        assertThat(restart(new RecordingJobHandler()).paused()).as("resumed state persists too").isFalse();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void reconcileRecreatesMissingTriggersFromTheDatabase(Engine engine) throws Exception {
        RecordingJobHandler handler = new RecordingJobHandler();
        QuartzWorkScheduler scheduler = start(engine, handler);
        Instant far = soon(3_600_000);
        // What a crash between a commit and its scheduling call leaves: work in the database, no triggers.
        db.store().txRun(tx -> {
            tx.agents().insert(agent("bot", Agent.AgentKind.PERSISTENT, null));
            tx.agents().insert(agent("temp-later", Agent.AgentKind.EPHEMERAL, far));
            tx.credentials().insert(credential("lost-later", "bot", far));
            tx.versions().insert(previous("lost-later", 1, far));
        });
        assertThat(triggers(null, null)).isZero();

        scheduler.reconcile();
        scheduler.reconcile();

        assertThat(triggers(QuartzWorkScheduler.ROTATE, "lost-later")).isEqualTo(1);
        assertThat(triggers(QuartzWorkScheduler.REVOKE, "lost-later#v1")).isEqualTo(1);
        assertThat(triggers(QuartzWorkScheduler.DECOMMISSION, "temp-later")).isEqualTo(1);
        assertThat(triggers(null, null)).isEqualTo(3);
        assertThat(scheduler.nextRotation("lost-later")).isEqualTo(far);

        Instant at = soon(300);
        db.store().txRun(tx -> {
            tx.agents().insert(agent("temp", Agent.AgentKind.EPHEMERAL, at));
            tx.credentials().insert(credential("lost", "bot", at));
            tx.versions().insert(previous("lost", 1, at));
        });
        scheduler.reconcile();

        await().atMost(FIRE).until(() -> handler.called(ROTATE, "lost") && handler.called(REVOKE, "lost#v1")
                && handler.called(DECOMMISSION, "temp"));
        assertThat(handler.calls()).extracting(RecordingJobHandler.Call::subject)
                .doesNotContain("lost-later", "lost-later#v1", "temp-later");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void startReconcilesWorkThatLostItsTriggerWhileStopped(Engine engine) throws Exception {
        RecordingJobHandler before = new RecordingJobHandler();
        QuartzWorkScheduler first = start(engine, before);
        first.stop();
        Instant overdue = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MILLIS);
        db.store().txRun(tx -> {
            tx.agents().insert(agent("bot", Agent.AgentKind.PERSISTENT, null));
            tx.credentials().insert(credential("overdue", "bot", overdue));
        });

        RecordingJobHandler after = new RecordingJobHandler();
        restart(after);

        await().atMost(FIRE).until(() -> after.called(ROTATE, "overdue"));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void forgetCredentialRemovesOnlyTheRotationTrigger(Engine engine) throws Exception {
        RecordingJobHandler handler = new RecordingJobHandler();
        QuartzWorkScheduler scheduler = start(engine, handler);
        scheduler.rotateAt("gone", soon(600));
        scheduler.revokeAt("gone", 1, soon(600));
        scheduler.continueRotationAt("sentinel", soon(800));

        scheduler.forgetCredential("gone");
        scheduler.forgetCredential("never-scheduled");

        assertThat(scheduler.nextRotation("gone")).isNull();
        assertThat(triggers(QuartzWorkScheduler.ROTATE, "gone")).isZero();
        await().atMost(FIRE).until(() -> handler.called(CONTINUE, "sentinel") && handler.called(REVOKE, "gone#v1"));
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> !handler.called(ROTATE, "gone"));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void triggersStoredInTheBackgroundArriveAndFireTheLaterOfTwoTimesWinning(Engine engine) throws Exception {
        RecordingJobHandler handler = new RecordingJobHandler();
        QuartzWorkScheduler scheduler = start(engine, handler);
        Instant later = soon(3_600_000);
        Instant latest = later.plusSeconds(60);

        for (int i = 0; i < 2_500; i++) {
            scheduler.rotateEventually("bulk-" + i, later);
        }
        scheduler.rotateEventually("twice", later);
        scheduler.rotateEventually("twice", latest);
        scheduler.revokeEventually("twice", 1, latest);
        scheduler.rotateEventually("due", soon(200));

        await().atMost(FIRE).until(() -> triggers(ROTATE, "bulk-2499") == 1 && triggers(REVOKE, "twice#v1") == 1);
        assertThat(scheduler.nextRotation("twice")).isEqualTo(latest);
        assertThat(triggers(ROTATE, "bulk-0")).isEqualTo(1);
        await().atMost(FIRE).until(() -> handler.called(ROTATE, "due"));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aStopStoresTheTriggersStillWaitingToBeStoredInTheBackground(Engine engine) throws Exception {
        RecordingJobHandler handler = new RecordingJobHandler();
        QuartzWorkScheduler scheduler = start(engine, handler);
        Instant later = soon(3_600_000);
        // No credential rows back these: only the stop's flush, not a reconciliation, can have stored them.
        for (int i = 0; i < 3_000; i++) {
            scheduler.rotateEventually("flushed-" + i, later);
        }

        scheduler.stop();

        assertThat(triggers(ROTATE, "flushed-0")).isEqualTo(1);
        assertThat(triggers(ROTATE, "flushed-2999")).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void workBeyondTheTriggerHorizonGetsItsTriggerOnlyOnceItComesWithinIt(Engine engine) throws Exception {
        RecordingJobHandler handler = new RecordingJobHandler();
        QuartzWorkScheduler scheduler = start(engine, handler, Duration.ofMinutes(30));
        Instant near = soon(600_000);
        Instant far = soon(7_200_000);
        db.store().txRun(tx -> {
            tx.agents().insert(agent("bot", Agent.AgentKind.PERSISTENT, null));
            tx.credentials().insert(credential("near", "bot", near));
            tx.credentials().insert(credential("far", "bot", far));
            tx.versions().insert(previous("near", 1, near));
            tx.versions().insert(previous("far", 1, far));
        });

        scheduler.rotateEventually("near", near);
        scheduler.revokeEventually("near", 1, near);
        scheduler.rotateEventually("far", far);
        scheduler.revokeEventually("far", 1, far);
        scheduler.reconcile();

        await().atMost(FIRE).until(() -> triggers(ROTATE, "near") == 1 && triggers(REVOKE, "near#v1") == 1);
        assertThat(triggers(ROTATE, "far")).as("two hours ahead, beyond the half hour").isZero();
        assertThat(triggers(REVOKE, "far#v1")).isZero();
        scheduler.stop();

        // As the sweep finds it once the horizon reaches it.
        QuartzWorkScheduler later = restart(handler, Duration.ofHours(3));
        assertThat(triggers(ROTATE, "far")).isEqualTo(1);
        assertThat(triggers(REVOKE, "far#v1")).isEqualTo(1);
        assertThat(later.nextRotation("far")).isEqualTo(far);
    }

    // --------------------------------------------------------------- helpers

    private static Instant soon(long millis) {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).plusMillis(millis);
    }

    /** Rows in QRTZ_TRIGGERS of this test's scheduler, optionally of one group and name. */
    private int triggers(String group, String name) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM QRTZ_TRIGGERS WHERE SCHED_NAME = :s"
                        + (group == null ? "" : " AND TRIGGER_GROUP = :g AND TRIGGER_NAME = :n"))
                .bind("s", instanceName).bind("g", group).bind("n", name)
                .mapTo(Integer.class).one());
    }

    /** Sets a stored trigger's times behind Quartz's back, as the passing of time would while no scheduler runs. */
    private void movePersistedTrigger(String group, String name, long epochMillis) {
        int n = db.jdbi().withHandle(h -> h.createUpdate("UPDATE QRTZ_TRIGGERS SET NEXT_FIRE_TIME = :t, START_TIME = :t "
                        + "WHERE SCHED_NAME = :s AND TRIGGER_GROUP = :g AND TRIGGER_NAME = :n")
                .bind("t", epochMillis).bind("s", instanceName).bind("g", group).bind("n", name).execute());
        assertThat(n).isEqualTo(1);
    }

    private static CredentialVersion previous(String credentialId, int version, Instant revokeAfter) {
        return new CredentialVersion(credentialId, version, VersionState.PREVIOUS, null, null, null,
                Instant.parse("2025-01-01T00:00:00Z"), Instant.parse("2025-01-02T00:00:00Z"), revokeAfter, null, null, 0,
                null);
    }

    private static Agent agent(String id, Agent.AgentKind kind, Instant expiresAt) {
        return new Agent(id, "team@example.org", kind, null, Map.of(), Agent.AgentStatus.ACTIVE, expiresAt,
                Instant.parse("2025-01-01T00:00:00Z"), null);
    }

    private static Credential credential(String id, String agentId, Instant next) {
        return new Credential(id, agentId, CredentialType.API_KEY, "hsm", RotationPolicy.every(Duration.ofDays(30)),
                Duration.ofHours(1), List.of(new TargetBinding("local-files", Map.of("path", id))),
                Credential.CredentialStatus.ACTIVE, next, Instant.parse("2025-01-01T00:00:00Z"), null);
    }
}
