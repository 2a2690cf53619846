package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /api/v1/plan} through the real daemon on H2: a rotation's grace-period revocation, an
 * ephemeral agent's expiry and the next scheduled rotation appear in the right windows, the kill switch
 * shows, and bad parameters, a missing token and a verifier token are answered with 4xx JSON.
 */
class PlanEndToEndIT {
    @TempDir
    static Path dir;

    static RunningDaemon daemon;

    @BeforeAll
    static void start() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("plan"));
        ok(daemon.post("/api/v1/agents", "{\"id\":\"planner-bot\",\"owner\":\"team-plan@example.com\"}"), 201);
        ok(daemon.post("/api/v1/agents", "{\"id\":\"short-lived\",\"owner\":\"team-temp@example.com\","
                + "\"kind\":\"ephemeral\",\"expiresAt\":\"" + Instant.now().plus(Duration.ofHours(2)) + "\"}"), 201);
        ok(daemon.post("/api/v1/credentials", "{\"id\":\"planner-bot-api\",\"agent\":\"planner-bot\",\"type\":\"api-key\","
                + "\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"planner-bot/api\"}]}"), 201);
        ok(daemon.task("/tasks/rotate?credential=planner-bot-api"), 200);
        await().atMost(Duration.ofSeconds(15)).until(() ->
                daemon.get("/api/v1/credentials/planner-bot-api").json().get("currentVersion").asInt() == 2);
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    private static RunningDaemon.Answer ok(RunningDaemon.Answer a, int status) {
        assertThat(a.status()).as(a.body()).isEqualTo(status);
        return a;
    }

    private static List<String> values(JsonNode items, String field) {
        List<String> out = new ArrayList<>();
        items.forEach(i -> out.add(i.path(field).asText()));
        return out;
    }

    @Test
    void theDefaultWindowShowsTheRevocationAtTheEndOfGraceAndTheAgentsExpiry() {
        JsonNode plan = ok(daemon.get("/api/v1/plan"), 200).json();
        assertThat(plan.get("within").asText()).isEqualTo("PT24H");
        assertThat(Duration.between(Instant.parse(plan.get("from").asText()), Instant.parse(plan.get("to").asText())))
                .isEqualTo(Duration.ofHours(24));
        assertThat(plan.get("paused").asBoolean()).isFalse();
        assertThat(plan.get("truncated").asBoolean()).isFalse();

        JsonNode revocation = plan.get("revocations").get("items").get(0);
        assertThat(plan.get("revocations").get("count").asLong()).isEqualTo(1);
        assertThat(revocation.get("credential").asText()).isEqualTo("planner-bot-api");
        assertThat(revocation.get("version").asInt()).isEqualTo(1);
        assertThat(revocation.get("owner").asText()).isEqualTo("team-plan@example.com");

        assertThat(values(plan.get("expiries").get("items"), "kind")).containsExactly("agent");
        assertThat(plan.get("expiries").get("items").get(0).get("agent").asText()).isEqualTo("short-lived");
        // A weekly rotation is not due today.
        assertThat(plan.get("rotations").get("count").asLong()).isZero();
        assertThat(plan.get("overdue").get("count").asLong()).isZero();
        long hours = 0;
        for (JsonNode h : plan.get("byHour")) {
            hours += h.get("revocations").asLong() + h.get("expiries").asLong() + h.get("rotations").asLong();
        }
        assertThat(hours).isEqualTo(2);
    }

    @Test
    void aLongerWindowShowsTheNextRotation() {
        JsonNode plan = ok(daemon.get("/api/v1/plan?within=P366D&limit=5"), 200).json();
        assertThat(plan.get("within").asText()).isEqualTo("P366D");
        assertThat(values(plan.get("rotations").get("items"), "credential")).containsExactly("planner-bot-api");
        assertThat(plan.get("rotations").get("items").get(0).get("type").asText()).isEqualTo("api-key");
        assertThat(values(plan.get("expiries").get("items"), "kind")).contains("agent");
        assertThat(values(plan.get("revocations").get("items"), "credential")).containsExactly("planner-bot-api");
    }

    @Test
    void theKillSwitchShows() {
        ok(daemon.task("/tasks/pause-rotations"), 200);
        try {
            assertThat(ok(daemon.get("/api/v1/plan?within=PT1H"), 200).json().get("paused").asBoolean()).isTrue();
        } finally {
            ok(daemon.task("/tasks/resume-rotations"), 200);
        }
        assertThat(ok(daemon.get("/api/v1/plan?within=PT1H"), 200).json().get("paused").asBoolean()).isFalse();
    }

    @Test
    void badParametersAreAnsweredWithAJsonBodyNamingThem() {
        for (String within : List.of("P367D", "PT0S", "-PT1H", "tomorrow", "P1M")) {
            RunningDaemon.Answer a = daemon.get("/api/v1/plan?within=" + within);
            assertThat(a.status()).as(within + ": " + a.body()).isEqualTo(422);
            assertThat(a.json().get("field").asText()).isEqualTo("within");
            assertThat(a.json().get("message").asText()).startsWith("within: ");
        }
        for (String limit : List.of("0", "1001")) {
            RunningDaemon.Answer a = daemon.get("/api/v1/plan?limit=" + limit);
            assertThat(a.status()).as(a.body()).isEqualTo(422);
            assertThat(a.json().get("field").asText()).isEqualTo("limit");
        }
        RunningDaemon.Answer notANumber = daemon.get("/api/v1/plan?limit=many");
        assertThat(notANumber.status()).as(notANumber.body()).isEqualTo(400);
        assertThat(notANumber.json().get("message").asText()).contains("limit");
    }

    @Test
    void onlyAdminTokensMayReadThePlan() {
        RunningDaemon.Answer anonymous = daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/plan")).GET(), null);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.json().get("message").asText()).contains("Authorization");

        String verifier = ok(daemon.task("/tasks/issue-token?name=plan-verifier&role=verifier"), 200).json().get("token").asText();
        RunningDaemon.Answer forbidden = daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/plan")).GET(), verifier);
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.json().get("code").asInt()).isEqualTo(403);
    }
}
