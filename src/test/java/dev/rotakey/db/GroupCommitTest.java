package dev.rotakey.db;

import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Group commit: alone at once, together when others wait, and each caller's failure its own. */
class GroupCommitTest {
    @TempDir
    static Path dir;
    private static TestDatabase db;
    private GroupCommit group;

    @BeforeAll
    static void open() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.H2, dir.resolve("db"));
        db.jdbi().useHandle(h -> h.execute("CREATE TABLE group_commit_test (name VARCHAR(64) PRIMARY KEY, mdc VARCHAR(64))"));
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    @BeforeEach
    void setUp() {
        db.jdbi().useHandle(h -> h.execute("DELETE FROM group_commit_test"));
        group = new GroupCommit(db.jdbi(), 64);
    }

    private static void insert(Daos tx, String name) {
        tx.handle().createUpdate("INSERT INTO group_commit_test (name, mdc) VALUES (:n, :m)")
                .bind("n", name).bind("m", MDC.get("caller")).execute();
    }

    private static List<String> names() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT name FROM group_commit_test ORDER BY name")
                .mapTo(String.class).list());
    }

    @Test
    void aCallerAloneCommitsAtOnceInItsOwnTransaction() {
        Integer result = group.tx(tx -> {
            insert(tx, "alone");
            return 1;
        });
        assertThat(result).isEqualTo(1);
        assertThat(group.commits()).isEqualTo(1);
        assertThat(names()).containsExactly("alone");
    }

    @Test
    void callersArrivingDuringACommitShareTheNextOneAndOnlyTheFailingOneIsRolledBack() throws Exception {
        CountDownLatch leaderInside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(9);
        try {
            Future<String> leader = threads.submit(() -> group.tx(tx -> {
                insert(tx, "leader");
                leaderInside.countDown();
                awaitLatch(release);
                return "leader";
            }));
            leaderInside.await();
            List<Future<String>> followers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String name = "follower-" + i;
                followers.add(threads.submit(() -> {
                    MDC.put("caller", name);
                    try {
                        return group.tx(tx -> {
                            insert(tx, name);
                            if (name.equals("follower-3")) {
                                throw new IllegalStateException("follower-3 refuses");
                            }
                            return name;
                        });
                    } finally {
                        MDC.remove("caller");
                    }
                }));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 8);
            release.countDown();

            assertThat(leader.get()).isEqualTo("leader");
            for (int i = 0; i < 8; i++) {
                Future<String> f = followers.get(i);
                if (i == 3) {
                    assertThatThrownBy(f::get).hasRootCauseMessage("follower-3 refuses");
                } else {
                    assertThat(f.get()).isEqualTo("follower-" + i);
                }
            }
        } finally {
            threads.shutdownNow();
        }
        // The leader's transaction, then one for all eight followers.
        assertThat(group.commits()).isEqualTo(2);
        assertThat(names()).hasSize(8).contains("leader").doesNotContain("follower-3");
        // Each follower's work ran with its own logging context, on whichever thread led.
        int withOwnContext = db.jdbi().withHandle(h -> h.createQuery(
                "SELECT COUNT(*) FROM group_commit_test WHERE name = mdc").mapTo(Integer.class).one());
        assertThat(withOwnContext).isEqualTo(7);
    }

    @Test
    void workThatAsksForAGroupCommitItselfGetsItsOwnTransaction() {
        String nested = group.tx(tx -> {
            insert(tx, "outer");
            return group.tx(inner -> {
                insert(inner, "inner");
                return "inner";
            });
        });
        assertThat(nested).isEqualTo("inner");
        assertThat(names()).containsExactly("inner", "outer");
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
