package dev.rotakey.cluster;

import dev.rotakey.core.CredentialLocks;
import dev.rotakey.db.AdvisoryLocks;
import dev.rotakey.db.Store;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cluster's locks on the machine's PostgreSQL, between two "nodes" (two pools, as two processes would have):
 * a credential held by one waits on the other, and a node whose database session dies frees what it held.
 */
class ClusterLocksIT {
    @TempDir
    static Path dir;
    private static TestDatabase db;
    private static Store node1;
    private static Store node2;

    @BeforeAll
    static void open() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.POSTGRESQL, dir);
        node1 = db.store();
        node2 = db.anotherNode("node2");
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    @Test
    void aCredentialLockedOnOneNodeWaitsOnTheOther() throws Exception {
        CredentialLocks one = new CredentialLocks(8, new ClusterLocks(node1, "locks-it").credentials());
        CredentialLocks two = new CredentialLocks(8, new ClusterLocks(node2, "locks-it").credentials());
        CompletableFuture<Void> second;
        try (CredentialLocks.Held held = one.lock("cred-a")) {
            second = CompletableFuture.runAsync(() -> two.lock("cred-a").close());
            CompletableFuture<Void> waiting = second;
            // Another credential is not held up.
            CompletableFuture.runAsync(() -> two.lock("cred-b").close()).get(10, TimeUnit.SECONDS);
            await("node 2 keeps waiting").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                    .until(() -> !waiting.isDone());
        }
        second.get(10, TimeUnit.SECONDS);
    }

    @Test
    void manyCredentialsHeldAtOnceOnOneSessionWaitOnTheOtherNodeAndAreReleasedTogether() throws Exception {
        CredentialLocks one = new CredentialLocks(8, new ClusterLocks(node1, "locks-it").credentials());
        CredentialLocks two = new CredentialLocks(8, new ClusterLocks(node2, "locks-it").credentials());
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            batch.add("batch-" + i);
        }
        CompletableFuture<Void> second;
        try (CredentialLocks.Held held = one.lockAll(batch)) {
            second = CompletableFuture.runAsync(() -> two.lock("batch-137").close());
            CompletableFuture<Void> waiting = second;
            CompletableFuture.runAsync(() -> two.lock("not-in-batch").close()).get(10, TimeUnit.SECONDS);
            await("node 2 waits for a credential of the batch").during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(2)).until(() -> !waiting.isDone());
            // One database session holds them all.
            long sessions = db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(DISTINCT pid) FROM pg_locks "
                    + "WHERE locktype = 'advisory' AND classid = :space AND granted").bind("space",
                    ClusterLocks.CREDENTIAL_SPACE).mapTo(Long.class).one());
            assertThat(sessions).isEqualTo(1);
        }
        second.get(10, TimeUnit.SECONDS);
        for (String id : batch) {
            AdvisoryLocks.Lock free = node2.advisoryLocks().tryAcquire(ClusterLocks.CREDENTIAL_SPACE, id.hashCode());
            assertThat(free).as(id + " released").isNotNull();
            free.close();
        }
    }

    @Test
    void aDeadNodesSessionReleasesItsLocks() throws Exception {
        AdvisoryLocks locks1 = node1.advisoryLocks();
        AdvisoryLocks.Lock held = locks1.acquire(ClusterLocks.CREDENTIAL_SPACE, 4242);
        assertThat(node2.advisoryLocks().tryAcquire(ClusterLocks.CREDENTIAL_SPACE, 4242)).isNull();

        // What a SIGKILL does to the node's sessions: the server ends them.
        db.jdbi().useHandle(h -> h.execute("SELECT pg_terminate_backend(pid) FROM pg_locks "
                + "WHERE locktype = 'advisory' AND classid = ? AND objid = ?", ClusterLocks.CREDENTIAL_SPACE, 4242));

        await().atMost(Duration.ofSeconds(10)).until(() -> {
            AdvisoryLocks.Lock got = node2.advisoryLocks().tryAcquire(ClusterLocks.CREDENTIAL_SPACE, 4242);
            if (got == null) {
                return false;
            }
            got.close();
            return true;
        });
        held.close(); // its session is gone: releasing logs and returns the broken connection
    }

    @Test
    void nodesOfOneClusterStartOneAtATime() throws Exception {
        ClusterLocks a = new ClusterLocks(node1, "start-it");
        ClusterLocks b = new ClusterLocks(node2, "start-it");
        ClusterLocks otherCluster = new ClusterLocks(node2, "another-cluster");
        CompletableFuture<Void> second;
        try (AdvisoryLocks.Lock first = a.startup()) {
            second = CompletableFuture.runAsync(() -> b.startup().close());
            CompletableFuture<Void> waiting = second;
            otherCluster.startup().close();
            await("the second node keeps waiting").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                    .until(() -> !waiting.isDone());
        }
        second.get(10, TimeUnit.SECONDS);
    }
}
