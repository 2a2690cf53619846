package dev.rotakey.cluster;

import dev.rotakey.backend.KeyBackends;
import dev.rotakey.config.SchedulerFactory;
import dev.rotakey.schedule.QuartzWorkScheduler;
import dev.rotakey.service.StatusReport;
import dev.rotakey.testing.RecordingJobHandler;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two clustered Quartz schedulers over one PostgreSQL, as two nodes run them: each node's {@code GET /api/v1/status}
 * lists both with their check-ins, and a node that stops checking in leaves the list once the other has taken over.
 */
class ClusterStatusIT {
    @TempDir
    Path dir;
    private TestDatabase db;

    @AfterEach
    void close() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    private QuartzWorkScheduler node(String cluster, String instanceId) throws Exception {
        SchedulerFactory config = TestDatabase.schedulerConfig(cluster);
        config.setClustered(true);
        config.setInstanceId(instanceId);
        config.setCheckinInterval(Duration.ofSeconds(1));
        QuartzWorkScheduler s = db.scheduler(config, new RecordingJobHandler());
        s.start();
        return s;
    }

    private StatusReport status(String cluster, String instanceId, QuartzWorkScheduler scheduler) {
        ClusterNodes nodes = new ClusterNodes(new NodeIdentity(instanceId, true), cluster, scheduler::running,
                Clock.systemUTC());
        return new StatusReport(db.store(), nodes, scheduler::pausedOrUnknown, scheduler::running,
                new KeyBackends(Map.of()));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> nodes(StatusReport report) {
        return (List<Map<String, Object>>) report.status().get("nodes");
    }

    @Test
    void eachNodeListsBothAndADeadNodeLeavesTheList() throws Exception {
        db = TestDatabases.open(Engine.POSTGRESQL, dir);
        String cluster = "cl-" + UUID.randomUUID().toString().substring(0, 8);
        QuartzWorkScheduler one = node(cluster, "node-1");
        QuartzWorkScheduler two = node(cluster, "node-2");
        StatusReport fromOne = status(cluster, "node-1", one);
        StatusReport fromTwo = status(cluster, "node-2", two);

        assertThat(fromOne.status().get("node")).isEqualTo("node-1");
        assertThat(fromTwo.status().get("node")).isEqualTo("node-2");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<Map<String, Object>> seen = nodes(fromOne);
            assertThat(seen).extracting(n -> n.get("instanceId")).containsExactly("node-1", "node-2");
            assertThat(seen).extracting(n -> n.get("self")).containsExactly(true, false);
            assertThat(seen).extracting(n -> n.get("healthy")).containsExactly(true, true);
            assertThat(seen).extracting(n -> n.get("checkinInterval")).containsExactly("PT1S", "PT1S");
            assertThat(seen).allSatisfy(n -> assertThat(Instant.parse((String) n.get("lastCheckin")))
                    .isBetween(Instant.now().minusSeconds(10), Instant.now().plusSeconds(1)));
            assertThat(nodes(fromTwo)).extracting(n -> n.get("instanceId") + ":" + n.get("self") + ":" + n.get("healthy"))
                    .containsExactly("node-1:false:true", "node-2:true:true");
        });

        // Stopped, node 2 checks in no more: node 1 takes its work over after 1 s + 7.5 s and forgets it.
        two.stop();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(nodes(fromOne))
                .extracting(n -> n.get("instanceId") + ":" + n.get("healthy")).containsExactly("node-1:true"));
    }
}
