package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.http.RawHttp;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The paths a new user takes, through the real daemon on H2: create an agent and an API-key
 * credential bound to local-files, rotate it, watch the grace period end, verify keys, emergency
 * revoke, decommission, pause, restart; bad input answered with 4xx JSON; no secret in logs,
 * database or audit trail.
 *
 * <p>One daemon serves the whole class (a start costs seconds, and on PostgreSQL a fresh schema's migrations
 * too; with a daemon per test this class made 15 starts, and its PostgreSQL subclass as many again; now 4):
 * every test uses agents, credentials and token names of its own, and the tests that restart the daemon or
 * pause rotations leave it running and resumed, whatever they find.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DaemonEndToEndIT {
    /** Static: JUnit injects a per-class instance's {@code @TempDir} field only after {@code @BeforeAll}. */
    @TempDir
    static Path dir;

    RunningDaemon daemon;
    String scheduler;

    String databaseUrl() {
        return "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000";
    }

    @BeforeAll
    void start() {
        scheduler = RunningDaemon.uniqueName("e2e");
        daemon = new RunningDaemon(dir.resolve("data"), databaseUrl(), SoftHsmTokens.APP, scheduler);
    }

    @AfterAll
    void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    /** Stops the daemon and starts it again on the same data directory and database. */
    private void restart() {
        daemon.close();
        daemon = null;
        startAgain();
    }

    private void startAgain() {
        daemon = new RunningDaemon(dir.resolve("data"), databaseUrl(), SoftHsmTokens.APP, scheduler);
    }

    private String createAgent(String id) {
        RunningDaemon.Answer a = daemon.post("/api/v1/agents",
                "{\"id\":\"" + id + "\",\"owner\":\"team-billing@example.com\",\"attributes\":{\"env\":\"test\"}}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        return id;
    }

    private JsonNode createCredential(String id, String agent, String grace) {
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"" + agent
                + "\",\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"" + grace
                + "\",\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/" + id + "\"}]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        return a.json();
    }

    private JsonNode verify(String key) {
        RunningDaemon.Answer a = daemon.post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return a.json();
    }

    private String state(String credential, int version) {
        for (JsonNode v : daemon.get("/api/v1/credentials/" + credential).json().get("versions")) {
            if (v.get("version").asInt() == version) {
                return v.get("state").asText();
            }
        }
        return "absent";
    }

    @Test
    void rotationStoryFromCreationToRevocation() throws Exception {
        String agent = createAgent("billing-agent");
        JsonNode created = createCredential("billing-agent-api", agent, "PT1S");
        assertThat(created.get("currentVersion").asInt()).isEqualTo(1);
        assertThat(created.get("versions").get(0).get("state").asText()).isEqualTo("CURRENT");
        assertThat(created.get("nextRotationAt").isNull()).isFalse();
        assertThat(created.toString()).doesNotContain("rk_");

        Path file = daemon.dataDir().resolve("delivered/billing-agent/billing-agent-api");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String key1 = daemon.delivered("billing-agent/billing-agent-api");
        JsonNode v1 = verify(key1);
        assertThat(v1.get("valid").asBoolean()).isTrue();
        assertThat(v1.get("agent").asText()).isEqualTo("billing-agent");
        assertThat(v1.get("owner").asText()).isEqualTo("team-billing@example.com");
        assertThat(v1.get("state").asText()).isEqualTo("CURRENT");

        RunningDaemon.Answer rotate = daemon.task("/tasks/rotate?credential=billing-agent-api");
        assertThat(rotate.status()).as(rotate.body()).isEqualTo(200);
        String rotationId = rotate.json().get("rotations").get(0).get("id").asText();
        await().atMost(Duration.ofSeconds(10)).until(() -> state("billing-agent-api", 2).equals("CURRENT"));
        String key2 = daemon.delivered("billing-agent/billing-agent-api");
        assertThat(key2).isNotEqualTo(key1).startsWith("rk_");

        // Both keys work during the grace period (unless it already ran out on a slow machine).
        JsonNode old = verify(key1);
        if (state("billing-agent-api", 1).equals("PREVIOUS")) {
            assertThat(old.get("valid").asBoolean()).isTrue();
            assertThat(old.get("state").asText()).isIn("PREVIOUS", "REVOKED");
        }
        assertThat(verify(key2).get("state").asText()).isEqualTo("CURRENT");

        await().atMost(Duration.ofSeconds(15)).until(() -> state("billing-agent-api", 1).equals("REVOKED"));
        JsonNode revoked = verify(key1);
        assertThat(revoked.get("valid").asBoolean()).isFalse();
        assertThat(revoked.get("reason").asText()).isEqualTo("revoked");
        assertThat(verify(key2).get("valid").asBoolean()).isTrue();

        JsonNode rotation = daemon.get("/api/v1/rotations/" + rotationId).json();
        assertThat(rotation.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(rotation.get("steps")).extracting(s -> s.get("step").asText())
                .containsExactly("create", "deliver", "verify", "promote");

        String correlation = rotation.get("correlationId").asText();
        JsonNode related = daemon.get("/api/v1/audit?correlationId=" + correlation).json().get("events");
        List<String> relatedActions = new ArrayList<>();
        related.forEach(e -> relatedActions.add(e.get("action").asText()));
        assertThat(relatedActions).contains("operator.rotate", "rotation.started", "rotation.succeeded");

        List<String> actions = new ArrayList<>();
        daemon.get("/api/v1/audit?subject=credential:billing-agent-api&limit=200").json().get("events")
                .forEach(e -> actions.add(0, e.get("action").asText()));
        assertThat(actions).containsSubsequence("credential.created", "rotation.started", "rotation.succeeded",
                "rotation.started", "rotation.step", "version.promoted", "rotation.succeeded", "version.revoked",
                "api-key.revoked-presented");
        assertNoSecretsAnywhere(List.of(key1, key2, daemon.token()));
    }

    @Test
    void restartKeepsCredentialsKeysTheTokenAndTheCa() {
        createAgent("a1");
        createCredential("c1", "a1", "PT1H");
        String key = daemon.delivered("a1/c1");
        String token = daemon.token();
        RunningDaemon.Answer chain = daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/cas/agents-ca/chain")).GET(), null);
        assertThat(chain.status()).as(chain.body()).isEqualTo(200);
        restart();
        assertThat(daemon.token()).isEqualTo(token);
        // The CA is created once: a restart serves the same certificate.
        assertThat(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/cas/agents-ca/chain")).GET(), null).body())
                .isEqualTo(chain.body()).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(verify(key).get("valid").asBoolean()).isTrue();
        assertThat(state("c1", 1)).isEqualTo("CURRENT");
        assertThat(daemon.get("/api/v1/credentials/c1").json().get("nextRotationAt").asText()).isNotEmpty();
    }

    @Test
    void emergencyRevokeRevokesTheOldKeyAtOnce() {
        createAgent("a2");
        createCredential("c2", "a2", "PT1H");
        String key1 = daemon.delivered("a2/c2");
        RunningDaemon.Answer a = daemon.task("/tasks/revoke?credential=c2");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> state("c2", 1).equals("REVOKED"));
        assertThat(state("c2", 2)).isEqualTo("CURRENT");
        assertThat(verify(key1).get("valid").asBoolean()).isFalse();
        assertThat(verify(daemon.delivered("a2/c2")).get("valid").asBoolean()).isTrue();
    }

    @Test
    void decommissionRevokesEverythingOfTheAgent() {
        createAgent("a3");
        createCredential("c3a", "a3", "PT1H");
        createCredential("c3b", "a3", "PT1H");
        String key = daemon.delivered("a3/c3a");
        RunningDaemon.Answer a = daemon.task("/tasks/decommission?agent=a3");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(a.json().get("credentials")).hasSize(2);
        // Refused from the answer on; the versions are revoked at the targets by the batch.
        assertThat(verify(key).get("valid").asBoolean()).isFalse();
        assertThat(daemon.get("/api/v1/agents/a3").json().get("status").asText()).isEqualTo("decommissioned");
        JsonNode batch = daemon.awaitBatch(a);
        assertThat(batch.path("state").asText()).as(batch.toString()).isEqualTo("DONE");
        assertThat(batch.path("counts").path("done").asInt()).isEqualTo(2);
        assertThat(state("c3a", 1)).isEqualTo("REVOKED");
        assertThat(state("c3b", 1)).isEqualTo("REVOKED");
        assertThat(verify(key).get("valid").asBoolean()).isFalse();
        assertThat(Files.exists(daemon.dataDir().resolve("delivered/a3/c3a"))).isFalse();
        assertThat(daemon.task("/tasks/rotate?credential=c3a").status()).isEqualTo(409);
        assertThat(daemon.post("/api/v1/credentials", "{\"id\":\"c3c\",\"agent\":\"a3\",\"targets\":[{\"target\":"
                + "\"local-files\",\"path\":\"x\"}]}").status()).isEqualTo(409);
    }

    @Test
    void anEphemeralAgentIsDecommissionedWhenItExpires() {
        // Long enough for the credential to be created first on a loaded machine (the first requests of a fresh
        // daemon took 2 s there).
        String expires = java.time.Instant.now().plusSeconds(5).toString();
        RunningDaemon.Answer a = daemon.post("/api/v1/agents", "{\"id\":\"eph\",\"owner\":\"o@example.com\","
                + "\"kind\":\"ephemeral\",\"expiresAt\":\"" + expires + "\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        createCredential("eph-key", "eph", "PT1M");
        String key = daemon.delivered("eph/eph-key");
        assertThat(verify(key).get("valid").asBoolean()).isTrue();
        await().atMost(Duration.ofSeconds(20)).until(() ->
                daemon.get("/api/v1/agents/eph").json().get("status").asText().equals("decommissioned"));
        // The agent is marked first (its keys refused from then on), its versions revoked at the targets after.
        await().atMost(Duration.ofSeconds(10)).until(() -> state("eph-key", 1).equals("REVOKED"));
        assertThat(verify(key).get("valid").asBoolean()).isFalse();
    }

    @Test
    void theOpenApiDocumentNeedsATokenAndListsEveryRegisteredResource() throws Exception {
        expect(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/openapi.json")).GET(), null), 401, "token");
        RunningDaemon.Answer a = daemon.get("/api/v1/openapi.json");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        com.fasterxml.jackson.databind.JsonNode doc = a.json();
        assertThat(doc.path("openapi").asText()).startsWith("3.");
        // Every endpoint Jersey routes in the running daemon (its own listing, as logged at start) is in the document.
        String endpoints = daemon.environment().jersey().getResourceConfig().getEndpointsInfo();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\s+(GET|POST|PATCH|PUT|DELETE)\\s+(\\S+)")
                .matcher(endpoints);
        int seen = 0;
        while (m.find()) {
            String path = m.group(2).replaceAll("\\{([A-Za-z0-9_]+)\\s*:[^}]*}", "{$1}");
            assertThat(doc.path("paths").path(path).has(m.group(1).toLowerCase(java.util.Locale.ROOT)))
                    .as(m.group(1) + " " + path + " in the OpenAPI document").isTrue();
            seen++;
        }
        assertThat(seen).as(endpoints).isGreaterThan(25);
        assertThat(doc.path("paths").path("/tasks/rotate").has("post")).isTrue();
        assertThat(doc.path("paths").path("/api/v1/credentials").path("post").path("responses").path("422")
                .path("content").path("application/json").path("schema").path("$ref").asText())
                .isEqualTo("#/components/schemas/ErrorBody");
    }

    @Test
    void verifierTokensCanOnlyVerifyAndCanBeRevoked() throws Exception {
        createAgent("a5");
        createCredential("c5", "a5", "PT1H");
        String key = daemon.delivered("a5/c5");
        RunningDaemon.Answer issued = daemon.task("/tasks/issue-token?name=billing-service&role=verifier");
        assertThat(issued.status()).as(issued.body()).isEqualTo(200);
        String verifier = issued.json().get("token").asText();
        assertThat(verifier).startsWith("rkt_");

        RunningDaemon.Answer ok = daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/api-keys/verify"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\"}")), verifier);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("valid").asBoolean()).isTrue();
        expect(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/agents")).GET(), verifier), 403, "verifier");
        expect(daemon.send(HttpRequest.newBuilder(daemon.admin("/tasks/rotate?credential=c5"))
                .POST(HttpRequest.BodyPublishers.noBody()), verifier), 403, "verifier");
        expect(daemon.task("/tasks/issue-token?name=billing-service&role=verifier"), 409, "exists");
        expect(daemon.task("/tasks/issue-token?name=x&role=root"), 422, "role");

        assertThat(daemon.task("/tasks/revoke-token?name=billing-service").status()).isEqualTo(200);
        expect(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/api-keys/verify"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\"}")), verifier), 401, "unknown");
        assertNoSecretsAnywhere(List.of(verifier, key));
    }

    private int currentVersion(String credential) {
        JsonNode c = daemon.get("/api/v1/credentials/" + credential).json().get("currentVersion");
        return c == null || c.isNull() ? 0 : c.asInt();
    }

    @Test
    void scheduledRotationsRunAndOneMissedWhileDownRunsAtStart() {
        createAgent("a6");
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials", "{\"id\":\"c6\",\"agent\":\"a6\","
                + "\"rotation\":{\"every\":\"PT3S\"},\"gracePeriod\":\"PT1S\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"a6/c6\"}]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(15)).until(() -> currentVersion("c6") >= 2);
        JsonNode latest = daemon.get("/api/v1/credentials/c6/rotations").json().get("rotations").get(0);
        assertThat(latest.get("trigger").asText()).isEqualTo("schedule");
        assertThat(latest.get("actor").asText()).isEqualTo("scheduler");

        int beforeStop = daemon.runtime().store().read(d -> d.versions().maxVersion("c6"));
        java.time.Instant due = java.time.Instant.parse(daemon.get("/api/v1/credentials/c6").json()
                .get("nextRotationAt").asText());
        daemon.close();
        daemon = null;
        // Let the next due time pass while no daemon runs.
        await().atMost(Duration.ofSeconds(5)).until(() -> java.time.Instant.now().isAfter(due));
        startAgain();
        // The first rotation after the restart is the one that fell due while the daemon was down.
        await().atMost(Duration.ofSeconds(10)).until(() ->
                daemon.runtime().store().read(d -> d.versions().maxVersion("c6")) > beforeStop);
        assertThat(verify(daemon.delivered("a6/c6")).get("valid").asBoolean()).isTrue();
        // The daemon serves the other tests: no rotation every 3 s in their way.
        assertThat(daemon.task("/tasks/decommission?agent=a6").status()).isEqualTo(200);
    }

    @Test
    void pauseIsVisibleAndSurvivesRestart() {
        try {
            assertThat(daemon.task("/tasks/pause-rotations").json().get("paused").asBoolean()).isTrue();
            assertThat(daemon.get("/api/v1/status").json().get("paused").asBoolean()).isTrue();
            assertThat(daemon.adminGet("/healthcheck").body()).contains("PAUSED");
            restart();
            assertThat(daemon.get("/api/v1/status").json().get("paused").asBoolean()).isTrue();
            assertThat(daemon.task("/tasks/resume-rotations").json().get("paused").asBoolean()).isFalse();
        } finally {
            // The kill switch would hold every other test's rotations.
            if (daemon == null) {
                startAgain();
            }
            daemon.task("/tasks/resume-rotations");
        }
    }

    @Test
    void passwordCredentialsOverHttp() throws Exception {
        String agent = createAgent("db-agent");
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials", "{\"id\":\"db-agent-pw\",\"agent\":\"" + agent
                + "\",\"type\":\"password\",\"length\":20,\"alphabet\":\"abcdefghijkmnopqrstuvwxyz23456789\","
                + "\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/pw\"}]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        JsonNode created = a.json();
        assertThat(created.get("type").asText()).isEqualTo("password");
        assertThat(created.get("length").asInt()).isEqualTo(20);
        assertThat(created.get("alphabet").asText()).isEqualTo("abcdefghijkmnopqrstuvwxyz23456789");
        assertThat(created.has("ca")).isFalse();
        String password1 = daemon.delivered(agent + "/pw");
        assertThat(password1).matches("[a-km-z2-9]{20}");
        // The verify endpoint is for API keys only.
        assertThat(verify(password1).get("valid").asBoolean()).isFalse();

        assertThat(daemon.task("/tasks/rotate?credential=db-agent-pw").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> state("db-agent-pw", 2).equals("CURRENT"));
        String password2 = daemon.delivered(agent + "/pw");
        assertThat(password2).matches("[a-km-z2-9]{20}").isNotEqualTo(password1);
        assertThat(daemon.get("/api/v1/credentials/db-agent-pw").body()).doesNotContain(password1).doesNotContain(password2);

        String bad = "{\"id\":\"x\",\"agent\":\"" + agent + "\",\"type\":\"%s\",%s"
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"x\"}]}";
        expect(daemon.post("/api/v1/credentials", String.format(bad, "password", "\"length\":8,")), 422, "length");
        expect(daemon.post("/api/v1/credentials", String.format(bad, "password", "\"alphabet\":\"abc\",")), 422, "alphabet");
        expect(daemon.post("/api/v1/credentials", String.format(bad, "api-key", "\"length\":32,")), 422, "length");
        assertNoSecretsAnywhere(List.of(password1, password2, daemon.token()));
    }

    @Test
    void badInputGetsClearFourHundredsNeverFiveHundreds() {
        createAgent("a4");
        expect(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/agents")).GET(), null), 401, "Authorization");
        expect(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/agents")).GET(), "wrong"), 401, "unknown");
        expect(daemon.send(HttpRequest.newBuilder(daemon.admin("/tasks/rotate?credential=x"))
                .POST(HttpRequest.BodyPublishers.noBody()), null), 401, "Authorization");
        expect(daemon.post("/api/v1/agents", "{\"id\":\"x\"}"), 422, "owner");
        expect(daemon.post("/api/v1/agents", "{\"id\":\"x\",\"ownr\":\"y\"}"), 400, "ownr");
        expect(daemon.post("/api/v1/agents", "{\"id\":"), 400, "JSON");
        expect(daemon.post("/api/v1/agents", "{\"id\":\"bad id\",\"owner\":\"o\"}"), 422, "id");
        expect(daemon.post("/api/v1/agents", "{\"id\":\"a4\",\"owner\":\"o\"}"), 409, "already exists");
        expect(daemon.post("/api/v1/agents", "{\"id\":\"e\",\"owner\":\"o\",\"kind\":\"ephemeral\"}"), 422, "expiresAt");
        expect(daemon.post("/api/v1/agents", "{\"id\":\"e\",\"owner\":\"o\",\"kind\":\"robot\"}"), 422, "kind");
        String cred = "{\"id\":\"c4\",\"agent\":\"a4\",\"rotation\":{\"every\":\"%s\"},\"gracePeriod\":\"%s\","
                + "\"targets\":[{\"target\":\"%s\",\"path\":\"%s\"}]}";
        expect(daemon.post("/api/v1/credentials", String.format(cred, "PT1H", "PT2H", "local-files", "p")), 422, "gracePeriod");
        expect(daemon.post("/api/v1/credentials", String.format(cred, "weekly", "PT1M", "local-files", "p")), 422, "rotation.every");
        expect(daemon.post("/api/v1/credentials", String.format(cred, "P1D", "PT1M", "local-files", "../../etc/x")), 422, "targets[0].path");
        expect(daemon.post("/api/v1/credentials", String.format(cred, "P1D", "PT1M", "local-files", "/etc/x")), 422, "targets[0].path");
        expect(daemon.post("/api/v1/credentials", String.format(cred, "P1D", "PT1M", "nowhere", "p")), 422, "targets[0].target");
        expect(daemon.post("/api/v1/credentials", "{\"id\":\"c4\",\"agent\":\"a4\",\"targets\":[]}"), 422, "targets");
        expect(daemon.post("/api/v1/credentials", "{\"id\":\"c4\",\"agent\":\"nobody\",\"targets\":[{\"target\":"
                + "\"local-files\",\"path\":\"p\"}]}"), 422, "agent");
        expect(daemon.post("/api/v1/credentials", "{\"id\":\"c4\",\"agent\":\"a4\",\"backend\":\"vault\",\"targets\":"
                + "[{\"target\":\"local-files\",\"path\":\"p\"}]}"), 422, "backend");
        expect(daemon.get("/api/v1/credentials/none"), 404, "none");
        expect(daemon.get("/api/v1/agents/none"), 404, "none");
        expect(daemon.get("/api/v1/rotations/none"), 404, "none");
        expect(daemon.get("/api/v1/agents?limit=0"), 422, "limit");
        expect(daemon.get("/api/v1/agents?limit=abc"), 400, "limit");
        expect(daemon.get("/api/v1/audit?before=x"), 400, "before");
        expect(daemon.post("/api/v1/api-keys/verify", "{}"), 422, "key");
        expect(daemon.task("/tasks/rotate"), 400, "credential");
        expect(daemon.task("/tasks/rotate?credential=none"), 404, "none");
        expect(daemon.task("/tasks/revoke"), 400, "credential");
        expect(daemon.task("/tasks/decommission?agent=none"), 404, "none");
        JsonNode malformed = daemon.post("/api/v1/api-keys/verify", "{\"key\":\"rk_short\"}").json();
        assertThat(malformed.get("valid").asBoolean()).isFalse();
        assertThat(malformed.get("reason").asText()).startsWith("malformed");
    }

    /** From an address of its own (127.0.0.3), so that its lock-out leaves the other tests' address alone. */
    @Test
    void aFloodOfBadTokensIsAnsweredThenLockedOutAndOnlyPartlyAudited() {
        int port = daemon.app("/").getPort();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            statuses.add(RawHttp.sendFrom("127.0.0.3", port, RawHttp.request("GET", "/api/v1/status", "bad-" + i, null,
                    null)).status());
        }
        assertThat(statuses.subList(0, 20)).containsOnly(401);
        assertThat(statuses.subList(20, 60)).as("locked out for guessing").containsOnly(429);
        JsonNode events = daemon.get("/api/v1/audit?subject=GET%20/api/v1/status&limit=1000").json().get("events");
        assertThat(events.size()).isBetween(1, 40);
        assertThat(events.findValuesAsText("action")).contains("auth.locked-out");
    }

    /** A consumer acknowledges without a token by presenting the new key; the last ack revokes the old one at once. */
    @Test
    void revocationWaitsForEveryConsumerToAcknowledge() throws Exception {
        String agent = createAgent("acking-agent");
        String base = "{\"id\":\"acked-api\",\"agent\":\"" + agent + "\",\"type\":\"api-key\",\"backend\":\"hsm\","
                + "\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1S\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/acked-api\"}],"
                + "\"revokeWhen\":\"acknowledged\",";
        RunningDaemon.Answer bad = daemon.post("/api/v1/credentials", base + "\"consumers\":[\"no spaces\"]}");
        expect(bad, 422, "consumers");
        assertThat(bad.json().get("field").asText()).isEqualTo("consumers");
        bad = daemon.post("/api/v1/credentials", base + "\"consumers\":[\"web\"],\"maxGracePeriod\":\"PT0.5S\"}");
        expect(bad, 422, "maxGracePeriod");
        assertThat(bad.json().get("field").asText()).isEqualTo("maxGracePeriod");

        RunningDaemon.Answer created = daemon.post("/api/v1/credentials",
                base + "\"consumers\":[\"web\",\"worker\"],\"maxGracePeriod\":\"PT1H\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().get("revokeWhen").asText()).isEqualTo("acknowledged");
        assertThat(created.json().get("consumers")).extracting(JsonNode::asText).containsExactly("web", "worker");
        assertThat(created.json().get("maxGracePeriod").asText()).isEqualTo("PT1H");
        assertThat(created.json().has("acknowledgementOverdue")).isFalse();
        String key1 = daemon.delivered(agent + "/acked-api");

        assertThat(daemon.task("/tasks/rotate?credential=acked-api").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> state("acked-api", 2).equals("CURRENT"));
        String key2 = daemon.delivered(agent + "/acked-api");
        assertThat(key2).isNotEqualTo(key1);

        // The grace period (1 s) runs out, and the scheduled revocation finds nobody has acknowledged: it
        // leaves no trace to wait for, so the old version is watched staying PREVIOUS well past the grace.
        await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(10))
                .until(() -> state("acked-api", 1).equals("PREVIOUS"));

        String ack = "/api/v1/credentials/acked-api/versions/2/ack";
        RunningDaemon.Answer noKey = ackWithoutToken(ack, "{\"consumer\":\"web\"}");
        expect(noKey, 401, "key");
        RunningDaemon.Answer oldKey = ackWithoutToken(ack, "{\"consumer\":\"web\",\"key\":\"" + key1 + "\"}");
        expect(oldKey, 401, "not the secret");
        expect(ackWithoutToken("/api/v1/credentials/acked-api/versions/1/ack",
                "{\"consumer\":\"web\",\"key\":\"" + key2 + "\"}"), 401, "not the secret");
        expect(ackWithoutToken(ack, "{\"consumer\":\"stranger\",\"key\":\"" + key2 + "\"}"), 422, "consumer");
        // Without the key, any other path still needs a token.
        expect(daemon.send(java.net.http.HttpRequest.newBuilder(daemon.app("/api/v1/credentials/acked-api")).GET(), null),
                401, "Authorization");

        // A token is checked as usual even when a key is present: a verifier token may not ack.
        RunningDaemon.Answer issued = daemon.task("/tasks/issue-token?name=ack-verifier&role=verifier");
        assertThat(issued.status()).as(issued.body()).isEqualTo(200);
        String verifier = issued.json().get("token").asText();
        expect(daemon.send(java.net.http.HttpRequest.newBuilder(daemon.app(ack)).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"consumer\":\"web\",\"key\":\"" + key2 + "\"}")), verifier), 403, "verifier");

        RunningDaemon.Answer web = ackWithoutToken(ack, "{\"consumer\":\"web\",\"key\":\"" + key2 + "\"}");
        assertThat(web.status()).as(web.body()).isEqualTo(200);
        assertThat(web.json().get("actor").asText()).isEqualTo("consumer:web");
        assertThat(state("acked-api", 1)).isEqualTo("PREVIOUS");
        RunningDaemon.Answer again = ackWithoutToken(ack, "{\"consumer\":\"web\",\"key\":\"" + key2 + "\"}");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json()).isEqualTo(web.json());

        // An operator acknowledges for the other consumer with the admin token: the old version goes at once.
        RunningDaemon.Answer worker = daemon.post(ack, "{\"consumer\":\"worker\"}");
        assertThat(worker.status()).as(worker.body()).isEqualTo(200);
        assertThat(worker.json().get("actor").asText()).startsWith("token:");
        // Well before the maximum grace period (1 h): the last ack has the revocation checked at once.
        await().atMost(Duration.ofSeconds(10)).until(() -> state("acked-api", 1).equals("REVOKED"));
        assertThat(verify(key1).get("valid").asBoolean()).isFalse();
        assertThat(daemon.get("/api/v1/status").json().get("acknowledgementOverdue").has("acked-api")).isFalse();
        assertThat(daemon.get("/api/v1/credentials/acked-api").json().has("acknowledgementOverdue")).isFalse();

        List<String> actions = new ArrayList<>();
        daemon.get("/api/v1/audit?subject=credential:acked-api&limit=200").json().get("events")
                .forEach(e -> actions.add(0, e.get("action").asText()));
        assertThat(actions).containsSubsequence("version.promoted", "version.acknowledged", "version.acknowledged",
                "version.revoked");
        assertThat(actions).doesNotContain("version.revoked-unacknowledged");
        List<String> refusals = new ArrayList<>();
        daemon.get("/api/v1/audit?limit=1000").json().get("events").forEach(e -> {
            if (e.get("action").asText().equals("auth.failed")) {
                refusals.add(e.get("subject").asText());
            }
        });
        assertThat(refusals).contains("POST " + ack);
        assertNoSecretsAnywhere(List.of(key1, key2, daemon.token(), verifier));
    }

    private RunningDaemon.Answer ackWithoutToken(String path, String json) {
        return daemon.send(java.net.http.HttpRequest.newBuilder(daemon.app(path)).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)), null);
    }

    private static void expect(RunningDaemon.Answer a, int status, String mention) {
        assertThat(a.status()).as(a.body()).isEqualTo(status);
        JsonNode body = a.json();
        assertThat(body.get("code").asInt()).isEqualTo(status);
        assertThat(body.get("message").asText()).contains(mention);
        assertThat(a.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    /** No plaintext key or token in any log line, any database column, or the audit API. */
    private void assertNoSecretsAnywhere(List<String> secrets) throws Exception {
        assertThat(daemon.logLines()).anyMatch(l -> l.contains("rotation.succeeded"));
        for (String line : daemon.logLines()) {
            for (String s : secrets) {
                assertThat(line).doesNotContain(s);
            }
        }
        String audit = daemon.get("/api/v1/audit?limit=1000").body();
        for (String s : secrets) {
            assertThat(audit).doesNotContain(s);
        }
        List<String> dump = dumpDatabase();
        assertThat(dump).isNotEmpty();
        for (String cell : dump) {
            for (String s : secrets) {
                assertThat(cell).doesNotContain(s);
            }
        }
    }

    /** The user the daemon's database is opened as. */
    String databaseUser() {
        return "rotakey";
    }

    /** Every character column of every table, read over JDBC. */
    List<String> dumpDatabase() throws Exception {
        List<String> cells = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(databaseUrl(), databaseUser(), "");
             Statement st = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = c.getMetaData().getTables(null, c.getSchema(), "%", new String[]{"TABLE"})) {
                while (rs.next()) {
                    if (!"INFORMATION_SCHEMA".equalsIgnoreCase(rs.getString("TABLE_SCHEM"))) {
                        tables.add(rs.getString("TABLE_NAME"));
                    }
                }
            }
            for (String t : tables) {
                try (ResultSet rs = st.executeQuery("SELECT * FROM \"" + t + "\"")) {
                    int n = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= n; i++) {
                            Object o = rs.getObject(i);
                            if (o != null) {
                                cells.add(o instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)
                                        : String.valueOf(o));
                            }
                        }
                    }
                }
            }
        }
        return cells;
    }
}
