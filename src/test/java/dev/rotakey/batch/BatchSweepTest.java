package dev.rotakey.batch;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.ClusterNodes;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.Store;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Who works a RUNNING batch that no thread of this node works: a single node takes every one (its own after a
 * restart, whatever name it had); a node of a cluster takes its own and those of nodes that stopped checking in,
 * never one of a node that checks in; a batch is taken once however many sweeps run.
 */
class BatchSweepTest {
    @TempDir
    static Path dir;
    private static TestDatabase database;
    private static Store store;
    private final TestClock clock = TestClock.at("2026-12-01T10:00:00Z");
    private final List<String> worked = new CopyOnWriteArrayList<>();
    private final BatchWork work = new BatchWork() {
        @Override
        public List<String> plan(Batch batch) {
            return List.of(batch.subjectId() + "-1");
        }

        @Override
        public ItemResult run(Batch batch, String credentialId) {
            worked.add(credentialId);
            return ItemResult.started("rot-" + credentialId);
        }
    };
    private BatchRunner runner;

    @BeforeAll
    static void open() throws Exception {
        database = TestDatabases.open(TestDatabases.Engine.H2, dir);
        store = database.store();
    }

    @AfterAll
    static void close() throws Exception {
        database.close();
    }

    @AfterEach
    void stopRunner() throws Exception {
        if (runner != null) {
            runner.stop();
        }
    }

    /** A sweep as {@code node} would run it, with a started runner of its own. */
    private BatchSweep sweep(NodeIdentity node) {
        AuditLog audit = new AuditLog(store, clock, node);
        BatchRecords records = new BatchRecords(store, audit, node, clock);
        runner = new BatchRunner(new BatchProcessor(store, records, Map.of(Batch.Kind.ROTATE, work)), 1, 10);
        runner.start();
        return new BatchSweep(store, runner, node, new ClusterNodes(node, "sweep-test", () -> true, clock), audit, clock);
    }

    /** A batch opened by {@code node} and never worked: as a node leaves it that stopped or died. */
    private Batch left(String node, String agent) {
        NodeIdentity by = new NodeIdentity(node, true);
        return new BatchRecords(store, new AuditLog(store, clock, by), by, clock)
                .open(Batch.Kind.ROTATE, "agent:" + agent, "token:ops", AuditAction.OPERATOR_ROTATE, null);
    }

    private Batch stored(Batch b) {
        return store.read(d -> d.batches().find(b.id())).orElseThrow();
    }

    private void checkedIn(String node) {
        database.jdbi().useHandle(h -> h.execute("INSERT INTO QRTZ_SCHEDULER_STATE (SCHED_NAME, INSTANCE_NAME, "
                + "LAST_CHECKIN_TIME, CHECKIN_INTERVAL) VALUES ('sweep-test', ?, ?, 5000)", node, clock.millis()));
    }

    @Test
    void aSingleNodeWorksEveryBatchLeftRunningWhateverNodeNameItHad() {
        Batch b = left("old-host-name", "single");
        BatchSweep sweep = sweep(NodeIdentity.single("new-host-name"));
        sweep.run();
        await().atMost(Duration.ofSeconds(10)).until(() -> stored(b).state() == Batch.State.DONE);
        assertThat(worked).containsExactly("single-1");
        assertThat(stored(b).node()).isEqualTo("new-host-name");
        assertThat(stored(b).claim()).isNotEqualTo(b.claim());
        sweep.run();
        assertThat(worked).as("a finished batch is not worked again").containsExactly("single-1");
    }

    @Test
    void aBatchItsTaskStillPreparesIsLeftToTheTask() {
        BatchSweep sweep = sweep(NodeIdentity.single("preparing-node"));
        NodeIdentity node = NodeIdentity.single("preparing-node");
        BatchRecords records = new BatchRecords(store, new AuditLog(store, clock, node), node, clock);
        Batch fresh = records.fresh(Batch.Kind.ROTATE, "agent:held", "token:ops");
        runner.hold(fresh);
        Batch opened = records.open(fresh, AuditAction.OPERATOR_ROTATE, null);
        sweep.run();
        assertThat(stored(opened).claim()).as("not taken while held").isEqualTo(fresh.claim());
        runner.release(fresh);
        sweep.run();
        await().atMost(Duration.ofSeconds(10)).until(() -> stored(opened).state() == Batch.State.DONE);
        assertThat(worked).containsExactly("held-1");
    }

    @Test
    void aNodeOfAClusterTakesOverTheBatchesOfANodeThatStoppedCheckingInButNotOfOneThatChecksIn() {
        checkedIn("alive");
        checkedIn("me");
        Batch alive = left("alive", "alive-agent");
        Batch dead = left("dead", "dead-agent");
        Batch mine = left("me", "my-agent");
        BatchSweep sweep = sweep(new NodeIdentity("me", true));
        sweep.run();
        await().atMost(Duration.ofSeconds(10)).until(() -> stored(dead).state() == Batch.State.DONE
                && stored(mine).state() == Batch.State.DONE);
        assertThat(worked).containsExactlyInAnyOrder("dead-agent-1", "my-agent-1");
        assertThat(stored(alive).state()).isEqualTo(Batch.State.RUNNING);
        assertThat(stored(alive).claim()).isEqualTo(alive.claim());
        List<AuditEvent> trail = store.read(d -> d.audit().list("agent:dead-agent", null, Long.MAX_VALUE, 10));
        assertThat(trail).extracting(AuditEvent::action).contains("batch.taken-over");
        assertThat(trail).filteredOn(e -> e.action().equals("batch.taken-over")).first()
                .extracting(AuditEvent::details).asString().contains("from node dead");

        // The live node stops checking in: the next sweep, a check-in interval and Quartz's margin later, takes it.
        clock.advance(Duration.ofSeconds(13));
        sweep.run();
        await().atMost(Duration.ofSeconds(10)).until(() -> stored(alive).state() == Batch.State.DONE);
        assertThat(worked).containsExactlyInAnyOrder("dead-agent-1", "my-agent-1", "alive-agent-1");
    }
}
