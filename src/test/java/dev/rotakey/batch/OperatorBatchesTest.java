package dev.rotakey.batch;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.api.BatchView;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.service.ParallelSteps;
import io.dropwizard.lifecycle.Managed;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.resources.TestKeyBackend;
import dev.rotakey.service.EmergencyRevocation;
import dev.rotakey.service.NewAgent;
import dev.rotakey.service.NewCredential;
import dev.rotakey.targets.files.LocalFilesTarget;
import dev.rotakey.testing.NotingScheduler;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operator's batch tasks on the real services (H2, API keys under a test HMAC backend, files), with deferred work
 * only noted and the batches worked by the test on its own thread, so that what holds when a task answers and what
 * the batch does afterwards are seen apart.
 */
class OperatorBatchesTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    @TempDir
    static Path dir;
    private static TestDatabase database;
    private static Store store;
    private static RotakeyComponents components;
    private static final TestClock CLOCK = new TestClock(NOW);
    /** What the services schedule; nothing runs. */
    private static final NotingScheduler NOTING = new NotingScheduler();
    private static final List<String> SCHEDULED = NOTING.events;
    private static OperatorBatches batches;
    private static BatchProcessor processor;
    private static BatchQueries queries;

    @BeforeAll
    static void build() throws Exception {
        database = TestDatabases.open(TestDatabases.Engine.H2, dir.resolve("db"));
        store = database.store();
        Files.createDirectories(dir.resolve("files"));
        components = RotakeyComponents.builder(new RotakeyConfiguration(), CLOCK, store)
                .keyBackends(Map.of("hsm", new TestKeyBackend("hsm")))
                .targets(Map.of("files", new LocalFilesTarget("files", dir.resolve("files"))))
                .workScheduler(NOTING)
                .build();
        BatchRecords records = new BatchRecords(store, components.audit(), NodeIdentity.single("node-a"), CLOCK);
        EmergencyRevocation emergencies = new EmergencyRevocation(components.rotations(), components.revocations(),
                NOTING, CLOCK);
        processor = new BatchProcessor(store, records, Map.of(
                Batch.Kind.ROTATE, new RotationWork(store, components.rotations(), components.batchedRotations()),
                Batch.Kind.DECOMMISSION, new DecommissionWork(components.rotations().decommissioning()),
                Batch.Kind.REVOKE, new EmergencyWork(emergencies)));
        // The threads a batch runs its rotations' steps on.
        for (Managed m : components.managed()) {
            if (m instanceof ParallelSteps) {
                m.start();
            }
        }
        components.batchedRotations().lanes().start();
        // Never started: every batch waits for the test to work it.
        BatchRunner idle = new BatchRunner(processor, 1, 1);
        batches = new OperatorBatches(store, records, idle, components.rotations(), emergencies);
        queries = new BatchQueries(store);
    }

    @AfterAll
    static void close() throws Exception {
        components.batchedRotations().lanes().stop();
        for (Managed m : components.managed()) {
            if (m instanceof ParallelSteps) {
                m.stop();
            }
        }
        database.close();
    }

    private static void agent(String id) {
        components.agents().create(new NewAgent(id, "team@example.com", null, null, null, Map.of()), "token:ops");
    }

    private static void credential(String id, String agent) {
        components.credentials().create(new NewCredential(id, agent, "api-key", "hsm", null, "PT1H",
                List.of(Map.of("target", "files", "path", agent + "/" + id))), "token:ops");
    }

    private static String key(String agent, String credential) throws Exception {
        return Files.readString(dir.resolve("files").resolve(agent).resolve(credential));
    }

    private static Batch stored(Batch b) {
        return store.read(d -> d.batches().find(b.id())).orElseThrow();
    }

    private static VersionState state(String credential, int version) {
        return store.read(d -> d.versions().find(credential, version)).map(CredentialVersion::state).orElseThrow();
    }

    private static boolean runs(Batch b) {
        return processor.run(stored(b), () -> false);
    }

    @Test
    void anAgentsRotationAnswersBeforeAnyRotationStartsAndItsBatchSkipsTheOneAlreadyRotating() {
        agent("ra");
        for (String c : List.of("ra-1", "ra-2", "ra-3")) {
            credential(c, "ra");
        }
        Rotation busy = components.rotations().start("ra-2", RotationTrigger.OPERATOR, "token:other", false);
        int rotationsBefore = store.read(d -> d.rotations().ofCredential("ra-1", 10)).size();

        Batch b = batches.rotateAgent("ra", "token:ops");

        assertThat(b.state()).isEqualTo(Batch.State.RUNNING);
        assertThat(b.total()).as("not even listed yet").isNull();
        List<Rotation> rotationsNow = store.read(d -> d.rotations().ofCredential("ra-1", 10));
        assertThat(rotationsNow).hasSize(rotationsBefore);
        List<AuditEvent> trail = store.read(d -> d.audit().list("agent:ra", null, Long.MAX_VALUE, 10));
        assertThat(trail.get(0).action()).isEqualTo("operator.rotate");
        assertThat(trail.get(0).details()).endsWith("batch=" + b.id());

        assertThat(runs(b)).isTrue();
        BatchView view = queries.batch(b.id(), -1, 100);
        assertThat(view.state()).isEqualTo("DONE");
        assertThat(view.counts()).isEqualTo(new BatchView.Counts(3, 0, 2, 0, 1, 0));
        assertThat(view.skipped()).isEqualTo(Map.of("already-rotating", 1L));
        assertThat(view.rotations().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(3);
        await().untilAsserted(() -> assertThat(queries.batch(b.id(), -1, 100).rotations())
                .as("the batch's rotations run on in the background; the one already rotating waits")
                .isEqualTo(Map.of("SUCCEEDED", 2L, "RUNNING", 1L)));
        assertThat(view.items()).extracting(BatchView.ItemView::credential).containsExactly("ra-1", "ra-2", "ra-3");
        assertThat(view.items().get(1).rotation().id()).isEqualTo(busy.id());
        assertThat(view.items().get(1).detail()).contains("already rotating");
        String started = view.items().get(0).rotation().id();
        assertThat(state("ra-1", 2)).isEqualTo(VersionState.CURRENT);
        assertThat(state("ra-1", 1)).isEqualTo(VersionState.PREVIOUS);
        assertThat(state("ra-3", 2)).isEqualTo(VersionState.CURRENT);
        assertThat(SCHEDULED).as("its next rotation and its previous version's revocation")
                .contains("rotate ra-1", "revoke ra-1#v1").doesNotContain("continue " + started, "continue " + busy.id());
        assertThat(store.read(d -> d.rotations().find(started)).orElseThrow().correlationId())
                .as("the batch's rotations carry the task's correlation id").isNotNull();

        BatchView page = queries.batch(b.id(), 0, 1);
        assertThat(page.items()).extracting(BatchView.ItemView::credential).containsExactly("ra-2");
        assertThat(page.next()).isEqualTo("1");
        assertThat(queries.batch(b.id(), 1, 1).next()).isEqualTo("2");
        assertThat(queries.batch(b.id(), 2, 2).next()).isNull();
    }

    @Test
    void aDecommissionRefusesTheKeysWhenItAnswersAndRevokesThemAtTheTargetsInItsBatch() throws Exception {
        agent("da");
        credential("da-1", "da");
        credential("da-2", "da");
        String key = key("da", "da-1");
        assertThat(components.verifier().verify(key, "token:svc").valid()).isTrue();

        OperatorBatches.Decommissioned answer = batches.decommission("da", "token:ops");

        assertThat(answer.credentials()).containsExactly("da-1", "da-2");
        assertThat(answer.batch().total()).isEqualTo(2);
        assertThat(components.agents().get("da").active()).isFalse();
        var refused = components.verifier().verify(key, "token:svc");
        assertThat(refused.valid()).isFalse();
        assertThat(refused.reason()).isEqualTo("decommissioned");
        // The slow part has not run: the version is still CURRENT and its key still in the file.
        assertThat(state("da-1", 1)).isEqualTo(VersionState.CURRENT);
        assertThat(Files.exists(dir.resolve("files/da/da-1"))).isTrue();
        assertThatThrownBy(() -> components.rotations().start("da-1", RotationTrigger.OPERATOR, "x", false))
                .isInstanceOf(RejectedException.class).hasMessageContaining("decommissioned");

        assertThat(runs(answer.batch())).isTrue();
        assertThat(stored(answer.batch()).state()).isEqualTo(Batch.State.DONE);
        assertThat(state("da-1", 1)).isEqualTo(VersionState.REVOKED);
        assertThat(state("da-2", 1)).isEqualTo(VersionState.REVOKED);
        assertThat(Files.exists(dir.resolve("files/da/da-1"))).isFalse();
        assertThat(queries.batch(answer.batch().id(), -1, 10).counts()).isEqualTo(new BatchView.Counts(2, 0, 0, 2, 0, 0));
        assertThat(SCHEDULED).contains("forget da-1", "forget da-2");

        // Safe to repeat: a second decommission finds nothing left to do.
        OperatorBatches.Decommissioned again = batches.decommission("da", "token:ops");
        assertThat(runs(again.batch())).isTrue();
        assertThat(stored(again.batch()).state()).isEqualTo(Batch.State.DONE);
    }

    @Test
    void anEmergencyRevokesThePreviousVersionWhenItAnswersAndSchedulesItsRotationFirst() throws Exception {
        agent("ea");
        credential("ea-1", "ea");
        String key1 = key("ea", "ea-1");
        components.rotations().startAndRun("ea-1", RotationTrigger.OPERATOR, "token:ops");
        assertThat(state("ea-1", 1)).isEqualTo(VersionState.PREVIOUS);
        assertThat(components.verifier().verify(key1, "token:svc").valid()).as("in its grace period").isTrue();

        OperatorBatches.Started answer = batches.emergencyRevoke("ea-1", "token:ops");

        assertThat(answer.rotation().emergency()).isTrue();
        assertThat(SCHEDULED).contains("first " + answer.rotation().id());
        CredentialVersion v1 = store.read(d -> d.versions().find("ea-1", 1)).orElseThrow();
        assertThat(v1.state()).isEqualTo(VersionState.REVOKED);
        assertThat(v1.revokeError()).as("its removal is pending, and retried after a crash").isNotNull();
        assertThat(components.verifier().verify(key1, "token:svc").reason()).isEqualTo("revoked");
        BatchView pending = queries.batch(answer.batch().id(), -1, 10);
        assertThat(pending.items().get(0).outcome()).isEqualTo("PENDING");
        assertThat(pending.items().get(0).rotation().id()).isEqualTo(answer.rotation().id());

        assertThat(runs(answer.batch())).isTrue();
        assertThat(stored(answer.batch()).state()).isEqualTo(Batch.State.DONE);
        assertThat(store.read(d -> d.versions().find("ea-1", 1)).orElseThrow().revokeError()).isNull();
        assertThat(queries.batch(answer.batch().id(), -1, 10).items().get(0).rotation().id())
                .isEqualTo(answer.rotation().id());
    }

    @Test
    void aCredentialsRotationStartsBeforeItAnswersAndItsBatchIsDoneAlready() {
        agent("ca");
        credential("ca-1", "ca");
        OperatorBatches.Started answer = batches.rotateCredential("ca-1", "token:ops");
        assertThat(answer.batch().state()).isEqualTo(Batch.State.DONE);
        BatchView view = queries.batch(answer.batch().id(), -1, 10);
        assertThat(view.counts()).isEqualTo(new BatchView.Counts(1, 0, 1, 0, 0, 0));
        assertThat(view.items().get(0).rotation().id()).isEqualTo(answer.rotation().id());
        assertThatThrownBy(() -> batches.rotateCredential("ca-1", "token:ops"))
                .isInstanceOf(RejectedException.class).hasMessageContaining("already rotating");
    }

    @Test
    void refusedTasksRecordNoBatch() {
        agent("gone");
        credential("gone-1", "gone");
        batches.decommission("gone", "token:ops");
        long before = store.read(d -> d.batches().recent(Long.MAX_VALUE, 1000)).size();
        assertThatThrownBy(() -> batches.rotateAgent("no-such-agent", "token:ops"))
                .isInstanceOf(RejectedException.class).extracting(e -> ((RejectedException) e).kind())
                .isEqualTo(RejectedException.Kind.NOT_FOUND);
        assertThatThrownBy(() -> batches.rotateAgent("gone", "token:ops"))
                .isInstanceOf(RejectedException.class).extracting(e -> ((RejectedException) e).kind())
                .isEqualTo(RejectedException.Kind.CONFLICT);
        assertThatThrownBy(() -> batches.decommission("no-such-agent", "token:ops")).isInstanceOf(RejectedException.class);
        assertThatThrownBy(() -> batches.emergencyRevoke("no-such-credential", "token:ops"))
                .isInstanceOf(RejectedException.class);
        List<Batch> after = store.read(d -> d.batches().recent(Long.MAX_VALUE, 1000));
        assertThat(after).hasSize((int) before);
    }
}
