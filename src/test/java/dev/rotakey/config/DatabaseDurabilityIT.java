package dev.rotakey.config;

import com.codahale.metrics.MetricRegistry;
import io.dropwizard.db.ManagedDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link DatabaseFactory}'s H2 settings keep commits across a killed process: checked with a real child JVM. */
class DatabaseDurabilityIT {
    @TempDir
    Path tmp;

    private static DatabaseFactory h2(String url) {
        return DatabaseFactoryTest.h2(url);
    }

    /**
     * The defect this guards against: with H2's default write delay, a process killed right after a burst of
     * commits came back without them. A child JVM commits through the factory's pool and halts at once (no
     * shutdown hook, no close: what SIGKILL leaves); every commit it reported must be there afterwards.
     */
    @Test
    void commitsSurviveAProcessKilledRightAfterThem() throws Exception {
        String url = "jdbc:h2:file:" + tmp.resolve("rotakey").toAbsolutePath() + ";LOCK_TIMEOUT=10000";
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CommitThenHalt.class.getName(), url)
                .redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(child.waitFor()).as(out).isEqualTo(CommitThenHalt.HALT_STATUS);
        assertThat(out).contains("committed " + CommitThenHalt.ROWS);
        try (Connection c = DriverManager.getConnection(url, "rotakey", "");
             var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM t")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(CommitThenHalt.ROWS);
        }
    }

    /** The child of {@link #commitsSurviveAProcessKilledRightAfterThem}: commits one row per transaction, then halts. */
    public static final class CommitThenHalt {
        static final int ROWS = 40;
        static final int HALT_STATUS = 137;

        public static void main(String[] args) throws Exception {
            DatabaseFactory f = h2(args[0]);
            ManagedDataSource ds = f.build(new MetricRegistry(), "child");
            try (Connection c = ds.getConnection()) {
                c.createStatement().execute("CREATE TABLE t (i INT)");
                for (int i = 0; i < ROWS; i++) {
                    c.createStatement().execute("INSERT INTO t VALUES (" + i + ")");
                }
            }
            System.out.println("committed " + ROWS);
            System.out.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }
}
