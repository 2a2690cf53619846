package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestClock;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Governance through the real daemon, tried as an owner, an auditor and a relying service would: an agent past its
 * attestation deadline is suspended and its key refused with reason {@code suspended}, its owner alerted, and
 * re-attesting restores it; an ownership transfer waits for the new owner's attestation; a scope check refuses a key
 * that lacks the scope and audits the denied use; verify returns the credential's scopes and the agent's attributes.
 * The daemon runs on a clock the test moves, so ninety days pass at once.
 */
class GovernanceEndToEndIT {
    @TempDir
    static Path dir;

    static final TestClock CLOCK = new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    static RunningDaemon daemon;
    static String verifier;

    @BeforeAll
    static void start() {
        daemon = new RunningDaemon(CLOCK, dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("governance"),
                ConfigOverride.config("governance.attestEvery", "P90D"),
                ConfigOverride.config("governance.attestWarning", "P14D"),
                ConfigOverride.config("governance.onAttestationDeadline", "suspend"),
                // The test runs the check itself, on its clock.
                ConfigOverride.config("governance.checkEvery", "PT1H"));
        verifier = ok(daemon.task("/tasks/issue-token?name=helpdesk&role=verifier"), 200).json().get("token").asText();
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

    private static String keyOf(String agent, String credential, String scopes, String attestEvery) {
        ok(daemon.post("/api/v1/agents", "{\"id\":\"" + agent + "\",\"owner\":\"team-" + agent + "@example.com\","
                + "\"attributes\":{\"env\":\"prod\"}" + (attestEvery == null ? "" : ",\"attestEvery\":\"" + attestEvery + "\"")
                + "}"), 201);
        ok(daemon.post("/api/v1/credentials", "{\"id\":\"" + credential + "\",\"agent\":\"" + agent + "\","
                + "\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P365D\"},"
                + (scopes == null ? "" : "\"scopes\":" + scopes + ",")
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/key\"}]}"), 201);
        return daemon.delivered(agent + "/key").trim();
    }

    private static JsonNode verify(String body) {
        return ok(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/api-keys/verify"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)), verifier), 200)
                .json();
    }

    private static List<String> auditActions(String subject) {
        List<String> out = new ArrayList<>();
        ok(daemon.get("/api/v1/audit?subject=" + subject + "&limit=100"), 200).json().get("events")
                .forEach(e -> out.add(e.get("action").asText()));
        return out;
    }

    private static List<JsonNode> firing(String alertName, String agent) {
        daemon.runtime().alerts().evaluate();
        List<JsonNode> out = new ArrayList<>();
        ok(daemon.get("/api/v1/alerts"), 200).json().get("alerts").forEach(a -> {
            if (alertName.equals(a.path("labels").path("alertname").asText())
                    && agent.equals(a.path("labels").path("agent").asText())) {
                out.add(a);
            }
        });
        return out;
    }

    @Test
    void scopesAndAttributesComeBackAndAMissingScopeIsRefusedAndAudited() {
        String key = keyOf("scoped-bot", "scoped-bot-key", "[\"tickets:read\",\"tickets:write\"]", "P3650D");
        JsonNode ok = verify("{\"key\":\"" + key + "\",\"requireScopes\":[\"tickets:read\"]}");
        assertThat(ok.get("valid").asBoolean()).as(ok.toString()).isTrue();
        assertThat(ok.get("scopes").toString()).isEqualTo("[\"tickets:read\",\"tickets:write\"]");
        assertThat(ok.get("attributes").get("env").asText()).isEqualTo("prod");

        JsonNode refused = verify("{\"key\":\"" + key + "\",\"requireScopes\":[\"tickets:read\",\"billing:admin\"]}");
        assertThat(refused.get("valid").asBoolean()).isFalse();
        assertThat(refused.get("reason").asText()).isEqualTo("scope");
        assertThat(refused.get("missingScopes").toString()).isEqualTo("[\"billing:admin\"]");
        assertThat(auditActions("credential:scoped-bot-key")).contains("api-key.scope-denied");

        // A bad requireScopes is the caller's mistake: 422 naming the field, never a 5xx.
        RunningDaemon.Answer bad = daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/api-keys/verify"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\",\"requireScopes\":[\"a b\"]}")), verifier);
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.body()).contains("requireScopes").doesNotContain(key);
        // The refused key is named by its version in the audit trail and the logs, never by its secret.
        assertThat(ok(daemon.get("/api/v1/audit?limit=1000"), 200).body()).doesNotContain(key);
        assertThat(daemon.logLines()).noneMatch(line -> line.contains(key));
        assertThat(ok(daemon.post("/api/v1/credentials", "{\"id\":\"bad-scopes\",\"agent\":\"scoped-bot\","
                + "\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P30D\"},\"scopes\":[\"\"],"
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"scoped-bot/bad\"}]}"), 422).body()).contains("scopes");
    }

    @Test
    void anAgentPastItsDeadlineIsSuspendedItsKeyRefusedAndReAttestingRestoresIt() {
        String key = keyOf("lapsing-bot", "lapsing-bot-key", null, null);
        String owner = "team-lapsing-bot@example.com";
        String ownerToken = ok(daemon.task("/tasks/issue-token?name=lapsing-owner&role=owner&owner=" + owner), 200)
                .json().get("token").asText();
        assertThat(verify("{\"key\":\"" + key + "\"}").get("valid").asBoolean()).isTrue();
        assertThat(ok(daemon.get("/api/v1/agents/lapsing-bot"), 200).json().get("attestation").get("state").asText())
                .isEqualTo("current");

        // Within the warning: the owner is alerted, once, and nothing else changes.
        CLOCK.advance(Duration.ofDays(80));
        assertThat(ok(daemon.get("/api/v1/agents/lapsing-bot"), 200).json().get("attestation").get("state").asText())
                .isEqualTo("due");
        List<JsonNode> due = firing("RotakeyAttestationDue", "lapsing-bot");
        assertThat(due).hasSize(1);
        assertThat(due.get(0).path("labels").path("owner").asText()).isEqualTo(owner);
        assertThat(verify("{\"key\":\"" + key + "\"}").get("valid").asBoolean()).isTrue();

        // Past the deadline: suspended, its key refused with reason suspended, the owner alerted.
        CLOCK.advance(Duration.ofDays(11));
        assertThat(daemon.runtime().attestationDeadlines().run()).isGreaterThanOrEqualTo(1);
        JsonNode refused = verify("{\"key\":\"" + key + "\"}");
        assertThat(refused.get("valid").asBoolean()).isFalse();
        assertThat(refused.get("reason").asText()).isEqualTo("suspended");
        assertThat(ok(daemon.get("/api/v1/agents/lapsing-bot"), 200).json().get("attestation").get("state").asText())
                .isEqualTo("suspended");
        assertThat(firing("RotakeyAttestationOverdue", "lapsing-bot")).hasSize(1)
                .allSatisfy(a -> assertThat(a.path("labels").path("owner").asText()).isEqualTo(owner));
        assertThat(auditActions("agent:lapsing-bot")).contains("agent.suspended");
        assertThat(auditActions("credential:lapsing-bot-key")).contains("api-key.suspended-presented");
        // A second check changes nothing more.
        daemon.runtime().attestationDeadlines().run();
        assertThat(auditActions("agent:lapsing-bot").stream().filter("agent.suspended"::equals)).hasSize(1);

        // The owner re-attests with an owner-scoped token: the key works again and the alert resolves.
        JsonNode attested = ok(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/agents/lapsing-bot/attest"))
                .POST(HttpRequest.BodyPublishers.noBody()), ownerToken), 200).json();
        assertThat(attested.get("attestation").get("state").asText()).isEqualTo("current");
        assertThat(attested.get("attestation").get("attestedBy").asText()).isEqualTo("token:lapsing-owner");
        assertThat(verify("{\"key\":\"" + key + "\"}").get("valid").asBoolean()).isTrue();
        assertThat(firing("RotakeyAttestationOverdue", "lapsing-bot")).isEmpty();
        assertThat(auditActions("agent:lapsing-bot")).contains("agent.attested", "agent.resumed");
    }

    @Test
    void anOwnershipTransferWaitsForTheNewOwnersAttestation() {
        keyOf("handover-bot", "handover-bot-key", null, "P3650D");
        String newOwner = "team-new@example.com";
        String newOwnerToken = ok(daemon.task("/tasks/issue-token?name=new-owner&role=owner&owner=" + newOwner), 200)
                .json().get("token").asText();
        JsonNode patched = ok(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/agents/handover-bot"))
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"owner\":\"" + newOwner + "\"}")),
                daemon.token()), 200).json();
        assertThat(patched.get("owner").asText()).isEqualTo("team-handover-bot@example.com");
        assertThat(patched.get("attestation").get("pendingOwner").asText()).isEqualTo(newOwner);
        // Not yet the new owner's to read.
        assertThat(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/agents/handover-bot")).GET(), newOwnerToken)
                .status()).isEqualTo(404);
        JsonNode taken = ok(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/agents/handover-bot/attest"))
                .POST(HttpRequest.BodyPublishers.noBody()), newOwnerToken), 200).json();
        assertThat(taken.get("owner").asText()).isEqualTo(newOwner);
        assertThat(ok(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/agents/handover-bot")).GET(), newOwnerToken),
                200).json().get("owner").asText()).isEqualTo(newOwner);
        assertThat(auditActions("agent:handover-bot")).contains("agent.transfer-requested", "agent.attested",
                "agent.changed");
    }
}
