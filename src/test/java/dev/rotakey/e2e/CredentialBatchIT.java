package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.RotakeyComponents;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code POST /api/v1/credentials:batch} through the real daemon on H2, SoftHSM2 and the local-files target: what the
 * API says was created is what the files hold (their HMAC digest in the token is the recorded version's), every
 * credential's next rotation is scheduled, a binding that fails leaves its credential to the scheduler's workers
 * without holding up the others, and only an admin token may create a batch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CredentialBatchIT {
    /** Static: JUnit injects a per-class instance's {@code @TempDir} field only after {@code @BeforeAll}. */
    @TempDir
    static Path dir;

    RunningDaemon daemon;

    /** The database of the class's daemon; the PostgreSQL subclass gives another. */
    String databaseUrl() {
        return "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000";
    }

    @BeforeAll
    void start() {
        daemon = new RunningDaemon(dir.resolve("data"), databaseUrl(), SoftHsmTokens.APP, RunningDaemon.uniqueName("batch"));
    }

    @AfterAll
    void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    private void createAgent(String id) {
        RunningDaemon.Answer a = daemon.post("/api/v1/agents", "{\"id\":\"" + id + "\",\"owner\":\"team@example.com\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
    }

    private static String item(String agent, String id, String... paths) {
        List<String> targets = new ArrayList<>();
        for (String p : paths) {
            targets.add("{\"target\":\"local-files\",\"path\":\"" + p + "\"}");
        }
        return "{\"id\":\"" + id + "\",\"agent\":\"" + agent + "\",\"type\":\"api-key\",\"backend\":\"hsm\","
                + "\"rotation\":{\"every\":\"P7D\"},\"targets\":[" + String.join(",", targets) + "]}";
    }

    @Test
    void threeHundredCredentialsReachTheTargetsAsTheApiSays() throws Exception {
        createAgent("fleet");
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String id = String.format("fleet-%03d", i);
            // Every tenth with a second binding: two files, one version.
            items.add(i % 10 == 0 ? item("fleet", id, "fleet/" + id, "mirror/" + id) : item("fleet", id, "fleet/" + id));
        }
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials:batch", "{\"credentials\":[" + String.join(",", items)
                + "]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        JsonNode created = a.json().get("credentials");
        assertThat(created).hasSize(300);

        RotakeyComponents rt = daemon.runtime();
        KeyBackend hsm = rt.backends().get("hsm");
        List<String> secrets = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            JsonNode c = created.get(i);
            String id = String.format("fleet-%03d", i);
            assertThat(c.get("id").asText()).isEqualTo(id);
            assertThat(c.get("version").asInt()).isEqualTo(1);
            assertThat(c.get("state").asText()).as(c.toString()).isEqualTo("CURRENT");
            CredentialVersion v = rt.store().read(d -> d.versions().find(id, 1)).orElseThrow();
            assertThat(v.state().name()).isEqualTo("CURRENT");
            List<String> files = i % 10 == 0 ? List.of("fleet/" + id, "mirror/" + id) : List.of("fleet/" + id);
            for (String f : files) {
                String key = daemon.delivered(f);
                assertThat(MaterialDigests.digest(hsm, key.getBytes(StandardCharsets.UTF_8))).as(f).isEqualTo(v.digest());
                secrets.add(key);
            }
            // A week ahead: in the database, its trigger left to the sweep that stores it once within the horizon.
            assertThat(rt.store().read(d -> d.credentials().find(id)).orElseThrow().nextRotationAt())
                    .as("next rotation of " + id).isAfter(Instant.now().plus(Duration.ofDays(6)));
        }
        assertThat(new HashSet<>(secrets)).hasSize(300);
        assertThat(a.body()).doesNotContain(secrets.get(0)).doesNotContain(secrets.get(299));

        JsonNode verified = daemon.post("/api/v1/api-keys/verify", "{\"key\":\"" + secrets.get(150) + "\"}").json();
        assertThat(verified.get("valid").asBoolean()).isTrue();
        assertThat(verified.get("version").asInt()).isEqualTo(1);
        assertThat(verified.get("state").asText()).isEqualTo("CURRENT");

        // Audited as a single creation is: created, started, each step, promoted, succeeded.
        JsonNode events = daemon.get("/api/v1/audit?subject=credential:fleet-123").json().get("events");
        List<String> actions = new ArrayList<>();
        events.forEach(e -> actions.add(e.get("action").asText()));
        assertThat(actions).containsExactlyInAnyOrder("credential.created", "rotation.started", "rotation.step",
                "rotation.step", "rotation.step", "rotation.step", "version.promoted", "rotation.succeeded");

        for (String line : daemon.logLines()) {
            for (String s : secrets) {
                assertThat(line).doesNotContain(s);
            }
        }
    }

    @Test
    void aBindingThatFailsLeavesItsCredentialToTheWorkersAndTheOthersAreIssued() throws Exception {
        createAgent("blocked");
        // A directory where the file should go: that target refuses the delivery for good.
        Path blocking = Files.createDirectories(daemon.dataDir().resolve("delivered/blocked/b-2"));
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            items.add(item("blocked", "b-" + i, "blocked/b-" + i));
        }
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials:batch", "{\"credentials\":[" + String.join(",", items)
                + "]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        JsonNode created = a.json().get("credentials");
        for (int i = 0; i < 5; i++) {
            if (i != 2) {
                assertThat(created.get(i).get("state").asText()).isEqualTo("CURRENT");
            }
        }
        JsonNode failed = created.get(2);
        assertThat(failed.get("rotationState").asText()).isEqualTo("RUNNING");
        assertThat(failed.get("lastError").asText()).contains("is a directory");
        String rotation = failed.get("rotation").asText();
        await("the failed first version is cleaned up").atMost(Duration.ofSeconds(60)).until(() ->
                daemon.get("/api/v1/rotations/" + rotation).json().get("state").asText().equals("FAILED"));
        JsonNode credential = daemon.get("/api/v1/credentials/b-2").json();
        assertThat(credential.get("versions").get(0).get("state").asText()).isEqualTo("FAILED");
        assertThat(credential.get("currentVersion").isNull()).isTrue();
        // The clean-up cannot read the directory either: its removal stays outstanding until the directory goes.
        Files.delete(blocking);
        await("the failed version's removal completes").atMost(Duration.ofSeconds(60)).until(() ->
                daemon.get("/api/v1/credentials/b-2").json().get("versions").get(0).get("revokeError").isNull());
    }

    @Test
    void onlyAnAdminTokenMayCreateABatch() {
        String body = "{\"credentials\":[" + item("nobody", "auth-1", "auth/1") + "]}";
        RunningDaemon.Answer none = daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/credentials:batch"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)), null);
        assertThat(none.status()).isEqualTo(401);
        RunningDaemon.Answer issued = daemon.task("/tasks/issue-token?name=batch-verifier&role=verifier");
        assertThat(issued.status()).as(issued.body()).isEqualTo(200);
        RunningDaemon.Answer verifier = daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/credentials:batch"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)),
                issued.json().get("token").asText());
        assertThat(verifier.status()).isEqualTo(403);
        assertThat(daemon.get("/api/v1/credentials/auth-1").status()).isEqualTo(404);
    }

    @Test
    void aBatchTooLargeForTheBodyLimitIs413() {
        String big = "{\"credentials\":[" + String.join(",", java.util.Collections.nCopies(1000,
                item("nobody", "x".repeat(128), "y".repeat(900)))) + "]}";
        assertThat(big.length()).isGreaterThan(1 << 20);
        assertThat(daemon.post("/api/v1/credentials:batch", big).status()).isEqualTo(413);
    }
}
