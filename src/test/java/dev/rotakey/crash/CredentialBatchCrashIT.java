package dev.rotakey.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.testing.DaemonProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kills a real daemon process with SIGKILL in the middle of a batch creation ({@code POST /api/v1/credentials:batch})
 * and checks that no credential is left half-made: while it is down, every credential the database holds has its
 * first rotation and version, and no file is there for a credential without a record (I6); after the restart, every
 * recorded credential is finished with a key that verifies as its CURRENT version 1, or — killed before the batch was
 * recorded — nothing of the batch exists and sending it again creates it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CredentialBatchCrashIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private Path dataDir;
    private String url;
    private DaemonProcess daemon;

    @BeforeAll
    void start() throws IOException {
        Path base = Path.of("target", "crash-batch", run).toAbsolutePath();
        dataDir = base.resolve("data");
        CrashToken token = CrashToken.create(base.resolve("softhsm"), dataDir);
        url = "jdbc:h2:file:" + dataDir.resolve("rotakey") + ";LOCK_TIMEOUT=10000";
        Map<String, String> overrides = new HashMap<>();
        overrides.put("scheduler.threads", "8");
        overrides.put("scheduler.misfireThreshold", "PT0.5S");
        overrides.put("rotation.retry.initialBackoff", "PT0.05S");
        overrides.put("rotation.retry.maxBackoff", "PT0.2S");
        daemon = new DaemonProcess(Path.of("config/rotakey.yml"), dataDir, overrides,
                Map.of("SOFTHSM2_CONF", token.conf().toString()));
        // The agents first, and a graceful stop: what is under test is the batch, not a commit just before a kill.
        daemon.start("");
        createAgent("mid");
        createAgent("pre");
        daemon.stop();
    }

    /** A test that failed half-way leaves no daemon running into the next. */
    @AfterEach
    void killLeftover() {
        if (daemon.alive()) {
            daemon.kill();
        }
    }

    @AfterAll
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void aBatchKilledWhileItDeliversIsFinishedAfterTheRestart() {
        int size = 500;
        // The third chunk: the first two are done, this one is being delivered, the rest are only recorded.
        String frozen = id("mid", 450);
        daemon.start("batch.after-delivery@" + frozen);
        CompletableFuture<DaemonProcess.Answer> answer = CompletableFuture.supplyAsync(
                () -> daemon.post("/api/v1/credentials:batch", batch("mid", size)));
        daemon.awaitFailPoints(List.of("batch.after-delivery " + frozen), Duration.ofSeconds(120));
        daemon.kill();
        await("the batch's answer is lost with the daemon").atMost(Duration.ofSeconds(60)).until(answer::isDone);
        assertThat(answer).isCompletedExceptionally();

        Map<String, String> rotations = whileDown("mid");
        assertThat(rotations).as("the batch was recorded as a whole").hasSize(size);
        assertThat(rotations.values()).contains("SUCCEEDED", "RUNNING");

        daemon.start("");
        await("the interrupted first versions are finished").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500)).until(() -> current("mid").size() == size);
        checkFiles("mid", size);
        daemon.stop();
    }

    @Test
    void aBatchKilledBeforeItIsRecordedLeavesNothingAndCanBeSentAgain() {
        int size = 50;
        String frozen = id("pre", 7);
        daemon.start("create.after-issue@" + frozen);
        CompletableFuture.runAsync(() -> daemon.post("/api/v1/credentials:batch", batch("pre", size)));
        daemon.awaitFailPoints(List.of("create.after-issue " + frozen), Duration.ofSeconds(120));
        daemon.kill();

        assertThat(whileDown("pre")).as("nothing of the batch is recorded").isEmpty();

        daemon.start("");
        assertThat(daemon.get("/api/v1/credentials/" + frozen).status()).isEqualTo(404);
        DaemonProcess.Answer again = daemon.post("/api/v1/credentials:batch", batch("pre", size));
        assertThat(again.status()).as(again.body()).isEqualTo(201);
        assertThat(current("pre")).hasSize(size);
        checkFiles("pre", size);
        daemon.stop();
    }

    private static String id(String agent, int i) {
        return String.format("%s-%04d", agent, i);
    }

    private static String batch(String agent, int size) {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            items.add("{\"id\":\"" + id(agent, i) + "\",\"agent\":\"" + agent + "\",\"type\":\"api-key\",\"backend\":\"hsm\","
                    + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/" + id(agent, i) + "\"}]}");
        }
        return "{\"credentials\":[" + String.join(",", items) + "]}";
    }

    private void createAgent(String agent) {
        DaemonProcess.Answer a = daemon.post("/api/v1/agents", "{\"id\":\"" + agent + "\",\"owner\":\"ops@example.com\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
    }

    /**
     * While the daemon is down, from its database and its delivery directory: each of the agent's credentials has one
     * first rotation and one version 1 (PENDING while the rotation runs, CURRENT once it succeeded), and every file is
     * a recorded credential's.
     *
     * @return each credential's rotation state
     */
    private Map<String, String> whileDown(String agent) {
        Map<String, String> rotations = new HashMap<>();
        Map<String, String> versions = new HashMap<>();
        Set<String> credentials = new TreeSet<>();
        try (Connection c = DriverManager.getConnection(url, "rotakey", "");
             Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT id FROM credentials WHERE agent_id = '" + agent + "'")) {
                while (rs.next()) {
                    credentials.add(rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT r.credential_id, r.state, r.version FROM rotations r JOIN credentials c "
                    + "ON c.id = r.credential_id WHERE c.agent_id = '" + agent + "'")) {
                while (rs.next()) {
                    assertThat(rs.getInt(3)).isEqualTo(1);
                    assertThat(rotations.put(rs.getString(1), rs.getString(2))).as("one rotation of " + rs.getString(1))
                            .isNull();
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT v.credential_id, v.state, v.version FROM credential_versions v JOIN "
                    + "credentials c ON c.id = v.credential_id WHERE c.agent_id = '" + agent + "'")) {
                while (rs.next()) {
                    assertThat(rs.getInt(3)).isEqualTo(1);
                    assertThat(versions.put(rs.getString(1), rs.getString(2))).isNull();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the daemon's database: " + e.getMessage(), e);
        }
        assertThat(rotations.keySet()).as("every credential has its first rotation").isEqualTo(credentials);
        for (String id : credentials) {
            String expected = rotations.get(id).equals("SUCCEEDED") ? "CURRENT" : "PENDING";
            assertThat(versions.get(id)).as("version 1 of " + id + " (rotation " + rotations.get(id) + ")")
                    .isEqualTo(expected);
        }
        assertThat(files(agent)).as("I6: every delivered file is a recorded credential's").isSubsetOf(credentials);
        return rotations;
    }

    /** The credentials of the agent whose version 1 is CURRENT, through the API. */
    private Set<String> current(String agent) {
        Set<String> out = new TreeSet<>();
        String after = "";
        while (after != null) {
            JsonNode page = json(daemon.get("/api/v1/credentials?agent=" + agent + "&limit=1000&after=" + after).body());
            page.get("credentials").forEach(c -> {
                if (c.path("currentVersion").asInt() == 1) {
                    out.add(c.get("id").asText());
                }
            });
            after = page.get("next").isNull() ? null : page.get("next").asText();
        }
        return out;
    }

    /** Every credential's file holds a key that verifies as that credential's CURRENT version 1, and there is no other. */
    private void checkFiles(String agent, int size) {
        assertThat(files(agent)).hasSize(size);
        for (int i = 0; i < size; i++) {
            String id = id(agent, i);
            String key = read(dataDir.resolve("delivered").resolve(agent).resolve(id));
            JsonNode v = json(daemon.post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}").body());
            assertThat(v.get("valid").asBoolean()).as("the key in the file of " + id).isTrue();
            assertThat(v.get("credential").asText()).isEqualTo(id);
            assertThat(v.get("version").asInt()).isEqualTo(1);
            assertThat(v.get("state").asText()).isEqualTo("CURRENT");
        }
    }

    private Set<String> files(String agent) {
        Path dir = dataDir.resolve("delivered").resolve(agent);
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            // Only delivered files: a backup or an interrupted write's temporary file has a suffix or a leading dot.
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(agent + "-") && !n.contains("."))
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }
}
