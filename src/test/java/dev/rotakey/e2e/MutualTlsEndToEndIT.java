package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Mutual TLS on the API port of one real daemon ({@code https-mtls} connector, {@code auth.mtls} with agents-ca and
 * a partner CA file): an agent's certificate issued through the API, delivered by the local-files target and used as
 * is for real TLS handshakes, authenticates that agent and confines it to its own credentials; a partner certificate
 * gets its mapped role; bearer tokens keep working over the same connector; an unknown or revoked certificate is
 * refused 401 with a JSON body, and audited.
 */
class MutualTlsEndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SPIFFE_A1 = "spiffe://rotakey.local/agent/mtls-a1";

    @TempDir
    static Path dir;
    static RunningDaemon daemon;
    static MtlsSetup tls;
    /** The agent mtls-a1's TLS identity: its delivered key and certificate. */
    static SSLContext agentA1;
    private static final List<String> AGENTS = new ArrayList<>();

    record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        tls = new MtlsSetup(dir.resolve("tls"));
        daemon = new RunningDaemon(tls.config(), dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey")
                + ";LOCK_TIMEOUT=10000", SoftHsmTokens.APP, RunningDaemon.uniqueName("mtls"), tls.anonymous(), tls.connector());
        agent("mtls-a1");
        agent("mtls-a2");
        apiKey("a1-key", "mtls-a1");
        apiKey("a2-key", "mtls-a2");
        agentA1 = certificateOf("mtls-a1", "a1-cert");
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            for (String agent : AGENTS) {
                daemon.task("/tasks/decommission?agent=" + agent);
            }
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    private static void agent(String id) {
        RunningDaemon.Answer a = daemon.post("/api/v1/agents", "{\"id\":\"" + id + "\",\"owner\":\"team@example.com\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        AGENTS.add(id);
    }

    private static void apiKey(String id, String agent) {
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"" + agent
                + "\",\"type\":\"api-key\",\"backend\":\"hsm\",\"revokeWhen\":\"acknowledged\",\"consumers\":[\"a-host\"],\"maxGracePeriod\":\"PT1H\",\"targets\":[{\"target\":\"local-files\",\"path\":\""
                + agent + "/" + id + "\"}]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
    }

    /** Issues a certificate credential to the agent through the API and answers a TLS context of what was delivered. */
    private static SSLContext certificateOf(String agent, String id) throws Exception {
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"" + agent
                + "\",\"type\":\"certificate\",\"ca\":\"agents-ca\",\"validity\":\"PT1H\",\"gracePeriod\":\"PT2S\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/" + id + "\"}]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        Path files = daemon.dataDir().resolve("delivered").resolve(agent).resolve(id);
        return tls.fromPem(files.resolve("key.pem"), files.resolve("cert.pem"), files.resolve("chain.pem"));
    }

    private static Answer call(HttpClient client, String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(daemon.app(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    private static Answer get(SSLContext identity, String path) throws Exception {
        return call(MtlsSetup.client(identity), "GET", path, null, null);
    }

    @Test
    void anAgentsCertificateReadsItsOwnCredentialsAndNothingOfAnotherAgent() throws Exception {
        HttpClient a1 = MtlsSetup.client(agentA1);
        Answer own = call(a1, "GET", "/api/v1/credentials/a1-key", null, null);
        assertThat(own.status()).as(own.body()).isEqualTo(200);
        assertThat(own.json().path("agent").asText()).isEqualTo("mtls-a1");
        assertThat(call(a1, "GET", "/api/v1/agents/mtls-a1", null, null).status()).isEqualTo(200);
        assertThat(call(a1, "GET", "/api/v1/credentials/a1-key/rotations", null, null).status()).isEqualTo(200);
        Answer list = call(a1, "GET", "/api/v1/credentials", null, null);
        assertThat(list.status()).as(list.body()).isEqualTo(200);
        List<String> agents = new ArrayList<>();
        list.json().path("credentials").forEach(c -> agents.add(c.path("agent").asText()));
        assertThat(agents).isNotEmpty().containsOnly("mtls-a1");

        // Another agent's inventory does not exist for it.
        assertThat(call(a1, "GET", "/api/v1/credentials/a2-key", null, null).status()).isEqualTo(404);
        assertThat(call(a1, "GET", "/api/v1/credentials/a2-key/rotations", null, null).status()).isEqualTo(404);
        assertThat(call(a1, "GET", "/api/v1/agents/mtls-a2", null, null).status()).isEqualTo(404);
        assertThat(call(a1, "GET", "/api/v1/credentials?agent=mtls-a2", null, null).status()).isEqualTo(404);
        assertThat(call(a1, "POST", "/api/v1/credentials/a2-key/rotate", null, null).status()).isEqualTo(404);
        assertThat(call(a1, "POST", "/api/v1/credentials/a2-key/versions/1/ack", null, "{\"consumer\":\"a1\"}").status())
                .isEqualTo(404);
    }

    @Test
    void anAgentsCertificateAcknowledgesItsVersionsAndAsksForItsOwnRotation() throws Exception {
        HttpClient a1 = MtlsSetup.client(agentA1);
        Answer ack = call(a1, "POST", "/api/v1/credentials/a1-key/versions/1/ack", null, "{\"consumer\":\"a-host\"}");
        assertThat(ack.status()).as(ack.body()).isEqualTo(200);
        assertThat(ack.json().path("actor").asText()).isEqualTo(SPIFFE_A1);

        Answer rotate = call(a1, "POST", "/api/v1/credentials/a1-key/rotate", null, null);
        assertThat(rotate.status()).as(rotate.body()).isEqualTo(202);
        assertThat(rotate.json().path("rotations").get(0).path("credential").asText("a1-key")).isEqualTo("a1-key");
        await().atMost(Duration.ofSeconds(30)).until(() ->
                daemon.get("/api/v1/credentials/a1-key").json().path("currentVersion").asInt() >= 2);

        String audit = daemon.get("/api/v1/audit?subject=credential:a1-key").body();
        assertThat(audit).contains("operator.rotate").contains(SPIFFE_A1);
    }

    @Test
    void anAgentsCertificateIsRefusedEverythingElse() throws Exception {
        HttpClient a1 = MtlsSetup.client(agentA1);
        for (String path : List.of("/api/v1/agents", "/api/v1/audit", "/api/v1/status", "/api/v1/plan", "/api/v1/tokens",
                "/api/v1/batches", "/api/v1/alerts")) {
            Answer a = call(a1, "GET", path, null, null);
            assertThat(a.status()).as(path + ": " + a.body()).isEqualTo(403);
            assertThat(a.body()).contains("a client certificate with role 'agent'");
        }
        assertThat(call(a1, "POST", "/api/v1/agents", null, "{\"id\":\"x\",\"owner\":\"o\"}").status()).isEqualTo(403);
        assertThat(call(a1, "POST", "/api/v1/api-keys/verify", null, "{\"key\":\"x\"}").status()).isEqualTo(403);
        assertThat(call(a1, "GET", "/api/v1/nothing-here", null, null).status()).isEqualTo(404);
        // The admin port has no TLS and no client certificate: without a token its tasks are refused.
        assertThat(daemon.send(HttpRequest.newBuilder(daemon.admin("/tasks/rotate?credential=a1-key"))
                .POST(HttpRequest.BodyPublishers.noBody()), null).status()).isEqualTo(401);
        // No token can carry the agent role.
        RunningDaemon.Answer token = daemon.task("/tasks/issue-token?name=fake-agent&role=agent");
        assertThat(token.status()).isEqualTo(422);
        assertThat(token.body()).contains("must be one of").doesNotContain("agent,").doesNotContain(", agent");
    }

    @Test
    void aPartnerCertificateGetsTheRoleItsSubjectIsMappedTo() throws Exception {
        Answer status = get(tls.dashboard(), "/api/v1/status");
        assertThat(status.status()).as(status.body()).isEqualTo(200);
        Answer create = call(MtlsSetup.client(tls.dashboard()), "POST", "/api/v1/agents", null, "{\"id\":\"x\",\"owner\":\"o\"}");
        assertThat(create.status()).isEqualTo(403);
        assertThat(create.body()).contains("role 'auditor'");
    }

    @Test
    void bearerTokensKeepWorkingOverTheMutualTlsConnectorAndDecideOverACertificate() throws Exception {
        assertThat(call(MtlsSetup.client(tls.anonymous()), "GET", "/api/v1/audit", daemon.token(), null).status()).isEqualTo(200);
        // With both, the token decides: the agent's certificate would be refused the audit trail.
        assertThat(call(MtlsSetup.client(agentA1), "GET", "/api/v1/audit", daemon.token(), null).status()).isEqualTo(200);
        Answer wrong = call(MtlsSetup.client(agentA1), "GET", "/api/v1/credentials/a1-key", "rkt_not-a-token", null);
        assertThat(wrong.status()).isEqualTo(401);
    }

    @Test
    void noCertificateAndNoTokenOrAnUnknownCertificateIsRefused401AndAudited() throws Exception {
        Answer none = get(tls.anonymous(), "/api/v1/credentials/a1-key");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.json().path("message").asText()).contains("Authorization");

        // A CA of its own with the same name as agents-ca, and a SPIFFE ID of a real agent: a forgery.
        TestPki.Ca forger = TestPki.Ca.root("CN=Rotakey Agents CA,O=Rotakey");
        TestPki.Leaf forged = forger.leaf("CN=mtls-a1", TestPki.uri(SPIFFE_A1));
        Answer refused = get(tls.withKey(forged.keys().getPrivate(), forged.certificate(), forger.certificate()),
                "/api/v1/credentials/a1-key");
        assertThat(refused.status()).as(refused.body()).isEqualTo(401);
        assertThat(refused.json().path("code").asInt()).isEqualTo(401);
        assertThat(refused.json().path("message").asText()).contains("client certificate").contains("CN=mtls-a1");
        String audit = daemon.get("/api/v1/audit?limit=200").body();
        assertThat(audit).contains("auth.failed").contains("CN=mtls-a1");
    }

    @Test
    void aRevokedCertificateIsRefusedAtItsNextRequest() throws Exception {
        agent("mtls-a3");
        SSLContext a3 = certificateOf("mtls-a3", "a3-cert");
        HttpClient kept = MtlsSetup.client(a3);
        assertThat(call(kept, "GET", "/api/v1/agents/mtls-a3", null, null).status()).isEqualTo(200);

        JsonNode batch = daemon.awaitBatch(daemon.task("/tasks/decommission?agent=mtls-a3"));
        assertThat(batch.path("state").asText()).as(batch.toString()).isNotEqualTo("RUNNING");

        // Checked at every request against the CRL as it is now: a new connection, and the kept-alive one alike.
        await().atMost(Duration.ofSeconds(30)).until(() -> get(a3, "/api/v1/agents/mtls-a3").status() == 401);
        Answer refused = get(a3, "/api/v1/agents/mtls-a3");
        assertThat(refused.json().path("message").asText()).contains("revoked");
        assertThat(call(kept, "GET", "/api/v1/agents/mtls-a3", null, null).status()).isEqualTo(401);
    }
}
