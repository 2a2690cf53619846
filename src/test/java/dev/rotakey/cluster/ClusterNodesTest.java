package dev.rotakey.cluster;

import dev.rotakey.cluster.ClusterNodes.Node;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster's nodes as the status lists them, from rows of Quartz's check-in table written here by hand: healthy
 * while a node's last check-in is within its interval plus Quartz's 7.5 s, this node always listed.
 */
class ClusterNodesTest {
    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;
    private TestDatabase db;

    @BeforeEach
    void open() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.H2, dir);
    }

    @AfterEach
    void close() throws Exception {
        db.close();
    }

    private void checkin(String sched, String node, Duration ago, Duration interval) {
        db.jdbi().useHandle(h -> h.execute("INSERT INTO QRTZ_SCHEDULER_STATE (SCHED_NAME, INSTANCE_NAME, "
                + "LAST_CHECKIN_TIME, CHECKIN_INTERVAL) VALUES (?, ?, ?, ?)", sched, node,
                NOW.minus(ago).toEpochMilli(), interval.toMillis()));
    }

    private List<Node> nodes(NodeIdentity self, boolean running) {
        ClusterNodes nodes = new ClusterNodes(self, "rotakey", () -> running, CLOCK);
        return db.store().read(nodes::list);
    }

    @Test
    void aClusteredNodeListsEveryNodeOfItsSchedulerWithItsHealth() {
        Duration five = Duration.ofSeconds(5);
        checkin("rotakey", "node-b", Duration.ofSeconds(2), five);
        checkin("rotakey", "node-a", Duration.ofMillis(12_500), five);  // exactly at Quartz's limit: still alive
        checkin("rotakey", "node-c", Duration.ofMillis(12_501), five);  // past it: the others take its work over
        checkin("other", "node-x", Duration.ZERO, five);                // another cluster in the same database

        assertThat(nodes(new NodeIdentity("node-b", true), true)).containsExactly(
                new Node("node-a", NOW.minusMillis(12_500), five, false, true),
                new Node("node-b", NOW.minusSeconds(2), five, true, true),
                new Node("node-c", NOW.minusMillis(12_501), five, false, false));
    }

    @Test
    void thisNodeIsUnhealthyWhenItsSchedulerStoppedAndListedBeforeItsFirstCheckin() {
        Duration five = Duration.ofSeconds(5);
        checkin("rotakey", "node-b", Duration.ZERO, five);
        assertThat(nodes(new NodeIdentity("node-b", true), false))
                .containsExactly(new Node("node-b", NOW, five, true, false));

        assertThat(nodes(new NodeIdentity("node-a", true), true)).containsExactly(
                new Node("node-a", null, null, true, false),
                new Node("node-b", NOW, five, false, true));
    }

    @Test
    void aSingleNodeIsListedAloneHealthyWhileItsSchedulerRuns() {
        checkin("rotakey", "stale", Duration.ZERO, Duration.ofSeconds(5));
        assertThat(nodes(NodeIdentity.single("solo"), true)).containsExactly(new Node("solo", null, null, true, true));
        assertThat(nodes(NodeIdentity.single("solo"), false)).containsExactly(new Node("solo", null, null, true, false));
    }
}
