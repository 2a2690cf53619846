package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.targets.postgres.PostgresProbe;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The credential lifecycle through the real daemon (SoftHSM, H2, local files, PostgreSQL roles): a change that adds a
 * target rotates and the new file holds a key that verifies; one that removes a target takes the file away and frees
 * the path; a manual credential leaves the plan and still rotates when asked; a retired one verifies no more, leaves
 * no file and keeps its history; an imported password is version 1 at a real role until a rotation replaces it; a
 * wrong import stores nothing; and no imported secret reaches a log line, an audit event, an answer or the database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CredentialLifecycleEndToEndIT {
    private Path dir;
    private RunningDaemon daemon;
    private final PostgresProbe postgres = new PostgresProbe();

    @BeforeAll
    void start() throws IOException {
        dir = Files.createTempDirectory("rotakey-lifecycle");
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("lifecycle"),
                ConfigOverride.config("targets.pg-main.type", "postgres-role"),
                ConfigOverride.config("targets.pg-main.url", PostgresProbe.URL),
                ConfigOverride.config("targets.pg-main.user", PostgresProbe.ADMIN));
        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"life\",\"owner\":\"team@example.com\"}").status()).isEqualTo(201);
    }

    @AfterAll
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        postgres.close();
    }

    private RunningDaemon.Answer create(String id, String type, String extra, String... paths) {
        List<String> bindings = new ArrayList<>();
        for (String p : paths) {
            bindings.add("{\"target\":\"local-files\",\"path\":\"" + p + "\"}");
        }
        return daemon.post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"life\",\"type\":\"" + type
                + "\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\",\"targets\":["
                + String.join(",", bindings) + "]" + extra + "}");
    }

    private RunningDaemon.Answer patch(String id, String body) {
        return daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/credentials/" + id))
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body)), daemon.token());
    }

    private RunningDaemon.Answer delete(String id) {
        return daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/credentials/" + id)).DELETE(), daemon.token());
    }

    private JsonNode verify(String key) {
        return daemon.post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}").json();
    }

    private void awaitRotation(String href) {
        await("rotation " + href).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> !daemon.get(href).json().path("state").asText().equals("RUNNING"));
        assertThat(daemon.get(href).json().path("state").asText()).isEqualTo("SUCCEEDED");
    }

    private Path file(String relative) {
        return daemon.dataDir().resolve("delivered").resolve(relative);
    }

    @Test
    void addingATargetRotatesIntoItAndRemovingOneTakesTheFileAwayAndFreesThePath() {
        assertThat(create("life-add", "api-key", "", "add/a.key").status()).isEqualTo(201);
        RunningDaemon.Answer changed = patch("life-add", "{\"targets\":[{\"target\":\"local-files\",\"path\":\"add/a.key\"},"
                + "{\"target\":\"local-files\",\"path\":\"add/b.key\"}]}");
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        JsonNode body = changed.json();
        assertThat(body.get("changes").toString()).isEqualTo("[\"targets\"]");
        assertThat(body.path("newMaterial").path("needed").asBoolean()).isTrue();
        assertThat(body.path("newMaterial").path("reason").asText()).contains("target(s) added");
        assertThat(body.path("targets")).hasSize(2);
        awaitRotation(body.path("newMaterial").path("rotation").path("href").asText());

        String key = daemon.delivered("add/b.key");
        assertThat(daemon.delivered("add/a.key")).isEqualTo(key);
        JsonNode v = verify(key);
        assertThat(v.get("valid").asBoolean()).as(v.toString()).isTrue();
        assertThat(v.get("version").asInt()).isEqualTo(2);

        RunningDaemon.Answer removed = patch("life-add", "{\"targets\":[{\"target\":\"local-files\",\"path\":\"add/b.key\"}]}");
        assertThat(removed.status()).as(removed.body()).isEqualTo(200);
        assertThat(removed.json().path("newMaterial").path("needed").asBoolean()).isFalse();
        assertThat(Files.exists(file("add/a.key"))).as("the removed binding's file").isFalse();
        assertThat(daemon.delivered("add/b.key")).isEqualTo(key);
        assertThat(verify(key).get("valid").asBoolean()).isTrue();
        // The path is free for another credential once its material is gone from it.
        RunningDaemon.Answer other = create("life-add-other", "api-key", "", "add/a.key");
        assertThat(other.status()).as(other.body()).isEqualTo(201);

        JsonNode events = daemon.get("/api/v1/audit?subject=credential:life-add").json().get("events");
        assertThat(events.toString()).contains("credential.changed").contains("before:").contains("after:");
    }

    @Test
    void aManualCredentialLeavesThePlanAndStillRotatesWhenAsked() {
        assertThat(create("life-manual", "api-key", "", "manual/a.key").status()).isEqualTo(201);
        assertThat(daemon.get("/api/v1/credentials/life-manual").json().path("nextRotationAt").isNull()).isFalse();
        assertThat(daemon.get("/api/v1/plan?within=P8D").json().get("rotations").toString()).contains("life-manual");
        RunningDaemon.Answer changed = patch("life-manual", "{\"rotation\":{\"manual\":true}}");
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        assertThat(changed.json().get("changes").toString()).isEqualTo("[\"rotation\"]");
        assertThat(changed.json().path("newMaterial").path("needed").asBoolean()).isFalse();
        JsonNode view = daemon.get("/api/v1/credentials/life-manual").json();
        assertThat(view.get("rotation").toString()).isEqualTo("{\"manual\":true}");
        assertThat(view.path("nextRotationAt").isNull()).isTrue();
        assertThat(daemon.get("/api/v1/plan?within=P8D").json().get("rotations").toString()).doesNotContain("life-manual");

        RunningDaemon.Answer rotate = daemon.post("/api/v1/credentials/life-manual/rotate", "");
        assertThat(rotate.status()).as(rotate.body()).isEqualTo(202);
        awaitRotation(rotate.json().path("rotations").path(0).path("href").asText());
        String key = daemon.delivered("manual/a.key");
        assertThat(verify(key).get("version").asInt()).isEqualTo(2);
        assertThat(daemon.get("/api/v1/credentials/life-manual").json().path("nextRotationAt").isNull())
                .as("still not scheduled after an operator's rotation").isTrue();

        RunningDaemon.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"life-manual-2\",\"agent\":\"life\","
                + "\"backend\":\"hsm\",\"rotation\":{\"manual\":true},\"targets\":[{\"target\":\"local-files\","
                + "\"path\":\"manual/b.key\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().get("rotation").toString()).isEqualTo("{\"manual\":true}");
        assertThat(daemon.get("/api/v1/credentials/life-manual-2").json().path("nextRotationAt").isNull()).isTrue();

        RunningDaemon.Answer batch = daemon.post("/api/v1/credentials:batch", "{\"credentials\":[{\"id\":\"life-manual-3\","
                + "\"agent\":\"life\",\"backend\":\"hsm\",\"rotation\":{\"manual\":true},\"targets\":[{\"target\":"
                + "\"local-files\",\"path\":\"manual/c.key\"}]}]}");
        assertThat(batch.status()).as(batch.body()).isEqualTo(201);
        JsonNode third = daemon.get("/api/v1/credentials/life-manual-3").json();
        assertThat(third.get("rotation").toString()).isEqualTo("{\"manual\":true}");
        assertThat(third.path("nextRotationAt").isNull()).isTrue();
        assertThat(verify(daemon.delivered("manual/c.key")).get("valid").asBoolean()).isTrue();
        assertThat(daemon.get("/api/v1/plan?within=P8D").json().get("rotations").toString()).doesNotContain("life-manual");
    }

    @Test
    void aRetiredCredentialVerifiesNoMoreLeavesNoFileAndKeepsItsHistory() {
        assertThat(create("life-retire", "api-key", "", "retire/a.key").status()).isEqualTo(201);
        String v1 = daemon.delivered("retire/a.key");
        RunningDaemon.Answer rotate = daemon.post("/api/v1/credentials/life-retire/rotate", "");
        awaitRotation(rotate.json().path("rotations").path(0).path("href").asText());
        String v2 = daemon.delivered("retire/a.key");

        RunningDaemon.Answer retired = delete("life-retire");
        assertThat(retired.status()).as(retired.body()).isEqualTo(202);
        assertThat(retired.json().get("credential").asText()).isEqualTo("life-retire");
        assertThat(retired.json().get("retired").asBoolean()).isTrue();
        assertThat(retired.json().path("batch").path("kind").asText()).isEqualTo("decommission");
        for (String key : List.of(v1, v2)) {
            JsonNode v = verify(key);
            assertThat(v.get("valid").asBoolean()).as(v.toString()).isFalse();
            assertThat(v.get("reason").asText()).isEqualTo("decommissioned");
        }
        String href = retired.json().path("batch").path("href").asText();
        await("retirement batch").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> !daemon.get(href).json().path("state").asText().equals("RUNNING"));
        assertThat(daemon.get(href).json().path("state").asText()).isEqualTo("DONE");
        assertThat(Files.exists(file("retire/a.key"))).as("the retired credential's file").isFalse();

        JsonNode view = daemon.get("/api/v1/credentials/life-retire").json();
        assertThat(view.get("status").asText()).isEqualTo("retired");
        assertThat(view.has("retiredAt")).isTrue();
        assertThat(view.get("retiredBy").asText()).isNotBlank();
        assertThat(view.get("versions")).hasSize(2);
        view.get("versions").forEach(v -> assertThat(v.get("state").asText()).isEqualTo("REVOKED"));
        assertThat(daemon.get("/api/v1/credentials/life-retire/rotations").json().get("rotations")).hasSize(2);
        assertThat(daemon.get("/api/v1/credentials?agent=life").body()).contains("\"retired\"");
        assertThat(daemon.get("/api/v1/audit?subject=credential:life-retire").body()).contains("credential.retired");

        assertThat(delete("life-retire").status()).isEqualTo(409);
        assertThat(patch("life-retire", "{\"gracePeriod\":\"PT2H\"}").status()).isEqualTo(409);
        assertThat(daemon.post("/api/v1/credentials/life-retire/rotate", "").status()).isEqualTo(409);
        assertThat(delete("life-no-such").status()).isEqualTo(404);
        // Its path is free again.
        assertThat(create("life-retire-next", "api-key", "", "retire/a.key").status()).isEqualTo(201);
    }

    @Test
    void anImportedPasswordIsVersionOneAtTheRoleUntilARotationReplacesIt() throws Exception {
        String role = postgres.newRole();
        String password = "Imp0rted-" + UUID.randomUUID();
        admin("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");
        assertThat(PostgresProbe.works(role, password)).isTrue();

        RunningDaemon.Answer imported = daemon.post("/api/v1/credentials", "{\"id\":\"life-import\",\"agent\":\"life\","
                + "\"type\":\"password\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"pg-main\",\"role\":\"" + role + "\"}],\"import\":{\"secret\":\"" + password
                + "\"}}");
        assertThat(imported.status()).as(imported.body()).isEqualTo(201);
        assertThat(imported.body()).doesNotContain(password);
        JsonNode view = imported.json();
        assertThat(view.get("currentVersion").asInt()).isEqualTo(1);
        assertThat(view.get("versions")).hasSize(1);
        assertThat(view.path("nextRotationAt").isNull()).as("scheduled as usual").isFalse();
        assertThat(PostgresProbe.works(role, password)).as("nothing was delivered over it").isTrue();
        assertThat(daemon.get("/api/v1/audit?subject=credential:life-import").body()).contains("credential.imported");

        RunningDaemon.Answer rotate = daemon.post("/api/v1/credentials/life-import/rotate", "");
        assertThat(rotate.status()).as(rotate.body()).isEqualTo(202);
        awaitRotation(rotate.json().path("rotations").path(0).path("href").asText());
        assertThat(PostgresProbe.storedPasswordIs(role, password)).as("the imported password after a rotation").isFalse();

        String wrong = "Wr0ng-" + UUID.randomUUID();
        String other = postgres.newRole();
        admin("CREATE ROLE " + other + " LOGIN PASSWORD '" + password + "-other'");
        Files.createDirectories(file("import"));
        Files.writeString(file("import/held.key"), "what-the-file-really-holds-" + UUID.randomUUID());
        RunningDaemon.Answer refused = daemon.post("/api/v1/credentials", "{\"id\":\"life-import-wrong\",\"agent\":\"life\","
                + "\"backend\":\"hsm\",\"targets\":[{\"target\":\"local-files\",\"path\":\"import/held.key\"}],"
                + "\"import\":{\"secret\":\"" + wrong + "\"}}");
        assertThat(refused.status()).as(refused.body()).isEqualTo(422);
        assertThat(refused.json().get("field").asText()).isEqualTo("import.secret");
        assertThat(refused.body()).doesNotContain(wrong).doesNotContain("Exception");
        assertThat(daemon.get("/api/v1/credentials/life-import-wrong").status()).isEqualTo(404);

        String audit = daemon.get("/api/v1/audit?limit=1000").body();
        for (String secret : List.of(password, wrong)) {
            assertThat(audit).doesNotContain(secret);
            assertThat(daemon.logLines()).noneMatch(line -> line.contains(secret));
            assertThat(databaseFiles()).as("the database files").doesNotContain(secret);
        }
    }

    private String databaseFiles() throws IOException {
        StringBuilder all = new StringBuilder();
        try (var files = Files.walk(dir.resolve("db"))) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                all.append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
            }
        }
        return all.toString();
    }

    private static void admin(String sql) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", PostgresProbe.ADMIN);
        try (Connection c = DriverManager.getConnection(PostgresProbe.URL, p); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
