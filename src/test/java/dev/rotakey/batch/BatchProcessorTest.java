package dev.rotakey.batch;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.Store;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The life of a batch with work of the test's own, on H2 and a clock the test moves: planning, outcomes in order,
 * the end state and its audit event, a stop between two items and the resumption that skips what was done, a lost
 * claim, and failures of an item and of the plan.
 */
class BatchProcessorTest {
    @TempDir
    static Path dir;
    private static TestDatabase database;
    private static Store store;
    private final TestClock clock = TestClock.at("2026-12-01T10:00:00Z");
    private final AuditLog audit = new AuditLog(store, clock, NodeIdentity.single("node-a"));
    private final BatchRecords records = new BatchRecords(store, audit, NodeIdentity.single("node-a"), clock);
    private final FakeWork work = new FakeWork();
    private final BatchProcessor processor = new BatchProcessor(store, records,
            Map.of(Batch.Kind.ROTATE, work, Batch.Kind.DECOMMISSION, work, Batch.Kind.REVOKE, work));

    @BeforeAll
    static void open() throws Exception {
        database = TestDatabases.open(TestDatabases.Engine.H2, dir);
        store = database.store();
    }

    @AfterAll
    static void close() throws Exception {
        database.close();
    }

    /** Lists the credentials it is given, records each call, and ends each item as {@link #outcome} says. */
    private final class FakeWork implements BatchWork {
        final List<String> calls = new CopyOnWriteArrayList<>();
        List<String> credentials = List.of("c1", "c2", "c3");
        RuntimeException planFailure;

        @Override
        public List<String> plan(Batch batch) {
            if (planFailure != null) {
                throw planFailure;
            }
            return credentials;
        }

        @Override
        public ItemResult run(Batch batch, String credentialId) {
            calls.add(credentialId);
            clock.advance(Duration.ofSeconds(1));
            return switch (credentialId) {
                case "busy" -> ItemResult.skipped("already-rotating", "rot-busy", "credential 'busy' is already rotating");
                case "boom" -> throw new IllegalStateException("boom at " + credentialId);
                default -> ItemResult.started("rot-" + credentialId);
            };
        }
    }

    private Batch open(String subject) {
        return records.open(Batch.Kind.ROTATE, subject, "token:ops", AuditAction.OPERATOR_ROTATE, "rotation of every active credential");
    }

    private Batch stored(Batch b) {
        return store.read(d -> d.batches().find(b.id())).orElseThrow();
    }

    private List<AuditEvent> events(String subject) {
        return store.read(d -> d.audit().list(subject, null, Long.MAX_VALUE, 100));
    }

    @Test
    void aBatchIsPlannedWorkedInOrderAndEndsDoneWithItsCountsAudited() {
        Batch b = open("agent:p1");
        assertThat(b.state()).isEqualTo(Batch.State.RUNNING);
        assertThat(b.planned()).isFalse();
        assertThat(b.node()).isEqualTo("node-a");
        assertThat(b.createdAt()).isEqualTo(Instant.parse("2026-12-01T10:00:00Z"));

        assertThat(processor.run(b, () -> false)).isTrue();

        assertThat(work.calls).containsExactly("c1", "c2", "c3");
        Batch done = stored(b);
        assertThat(done.state()).isEqualTo(Batch.State.DONE);
        assertThat(done.total()).isEqualTo(3);
        assertThat(done.finishedAt()).isEqualTo(Instant.parse("2026-12-01T10:00:03Z"));
        List<BatchItem> items = store.read(d -> d.batches().items(b.id(), -1, 10));
        assertThat(items).extracting(BatchItem::credentialId).containsExactly("c1", "c2", "c3");
        assertThat(items).extracting(BatchItem::outcome).containsOnly(BatchItem.Outcome.STARTED);
        assertThat(items).extracting(BatchItem::rotationId).containsExactly("rot-c1", "rot-c2", "rot-c3");
        List<AuditEvent> trail = events("agent:p1");
        assertThat(trail).extracting(AuditEvent::action).containsExactly("batch.finished", "operator.rotate");
        assertThat(trail.get(1).details()).isEqualTo("rotation of every active credential batch=" + b.id());
        assertThat(trail.get(0).outcome()).isEqualTo("done");
        assertThat(trail.get(0).details()).isEqualTo("batch=" + b.id() + " kind=rotate {started=3}");
    }

    @Test
    void aStopBetweenTwoItemsLeavesTheBatchRunningAndTheNextRunGoesOnFromTheFirstItemLeft() {
        Batch b = open("agent:p2");
        AtomicInteger items = new AtomicInteger();
        assertThat(processor.run(b, () -> work.calls.size() >= 2 && items.incrementAndGet() > 0)).isFalse();
        assertThat(work.calls).containsExactly("c1", "c2");
        assertThat(stored(b).state()).isEqualTo(Batch.State.RUNNING);
        assertThat(stored(b).total()).isEqualTo(3);

        assertThat(processor.run(stored(b), () -> false)).isTrue();
        assertThat(work.calls).as("nothing worked twice").containsExactly("c1", "c2", "c3");
        assertThat(stored(b).state()).isEqualTo(Batch.State.DONE);
    }

    @Test
    void aBatchTakenOverByAnotherClaimIsLeftToItsNewHolder() {
        Batch b = open("agent:p3");
        boolean taken = store.tx(d -> d.batches().claim(b.id(), b.claim(), "node-b", UUID.randomUUID().toString(),
                clock.instant()));
        assertThat(taken).isTrue();
        assertThat(processor.run(b, () -> false)).isFalse();
        assertThat(work.calls).isEmpty();
        Batch held = stored(b);
        assertThat(held.node()).isEqualTo("node-b");
        assertThat(held.state()).isEqualTo(Batch.State.RUNNING);
        // Its holder finishes it; the old claim can no longer take it back.
        boolean back = store.tx(d -> d.batches().claim(b.id(), b.claim(), "node-a", "x", clock.instant()));
        assertThat(back).isFalse();
        assertThat(processor.run(held, () -> false)).isTrue();
        assertThat(work.calls).containsExactly("c1", "c2", "c3");
    }

    @Test
    void skippedAndFailedItemsAreCountedAndAFailedItemFailsTheBatch() {
        work.credentials = List.of("c1", "busy", "boom", "c4");
        Batch b = open("agent:p4");
        assertThat(processor.run(b, () -> false)).isTrue();
        assertThat(work.calls).containsExactly("c1", "busy", "boom", "c4");
        assertThat(stored(b).state()).isEqualTo(Batch.State.FAILED);
        List<BatchItem> items = store.read(d -> d.batches().items(b.id(), -1, 10));
        assertThat(items).extracting(BatchItem::outcome).containsExactly(BatchItem.Outcome.STARTED,
                BatchItem.Outcome.SKIPPED, BatchItem.Outcome.FAILED, BatchItem.Outcome.STARTED);
        assertThat(items.get(1).reason()).isEqualTo("already-rotating");
        assertThat(items.get(1).rotationId()).isEqualTo("rot-busy");
        assertThat(items.get(2).detail()).isEqualTo("IllegalStateException: boom at boom");
        assertThat(events("agent:p4").get(0).details()).endsWith("{failed=1, skipped=1, started=2}");
    }

    @Test
    void aPlanThatCannotBeMadeFailsTheBatchWithItsErrorUnlessTheFailurePasses() {
        work.planFailure = new IllegalArgumentException("no such subject");
        Batch b = open("agent:p5");
        assertThat(processor.run(b, () -> false)).isTrue();
        assertThat(stored(b).state()).isEqualTo(Batch.State.FAILED);
        assertThat(stored(b).error()).isEqualTo("IllegalArgumentException: no such subject");

        work.planFailure = new org.jdbi.v3.core.ConnectionException(new java.sql.SQLTransientConnectionException("down"));
        Batch passing = open("agent:p6");
        assertThat(processor.run(passing, () -> false)).as("left for the sweep to run again").isFalse();
        assertThat(stored(passing).state()).isEqualTo(Batch.State.RUNNING);
        work.planFailure = null;
        assertThat(processor.run(stored(passing), () -> false)).isTrue();
        assertThat(stored(passing).state()).isEqualTo(Batch.State.DONE);
    }

    @Test
    void aBatchIsPlannedOnceWhoeverPlansItSecond() {
        Batch b = open("agent:p8");
        Batch first = records.plan(b, List.of("x1", "x2"));
        Batch second = records.plan(b, List.of("y1", "y2", "y3"));
        assertThat(first.total()).isEqualTo(2);
        assertThat(second.total()).as("the first plan stands").isEqualTo(2);
        List<BatchItem> items = store.read(d -> d.batches().items(b.id(), -1, 10));
        assertThat(items).extracting(BatchItem::credentialId).containsExactly("x1", "x2");
    }

    @Test
    void pagesOfItemsAreWorkedThroughBeyondTheFirst() {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < BatchProcessor.PAGE * 2 + 5; i++) {
            many.add("m" + i);
        }
        work.credentials = many;
        Batch b = open("agent:p7");
        assertThat(processor.run(b, () -> false)).isTrue();
        assertThat(work.calls).containsExactlyElementsOf(many);
        List<BatchItem> tail = store.read(d -> d.batches().items(b.id(), 199, 1000));
        assertThat(tail).hasSize(5).first().extracting(BatchItem::itemNo).isEqualTo(200);
    }
}
