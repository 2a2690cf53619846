package dev.rotakey.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.crash.CrashToken;
import dev.rotakey.testing.DaemonProcess;
import dev.rotakey.testing.TestDatabases;
import io.dropwizard.db.DataSourceFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two real daemons as one cluster over the machine's PostgreSQL (a schema of their own) and one SoftHSM2 token,
 * with a shared delivery directory: the first node's admin token survives the second's start, work runs exactly
 * once across the nodes, what one node does is seen at once by the other, and a node killed with SIGKILL in the
 * middle of rotation steps has them finished by the other from the persisted step within 30 s. Checked against
 * what the nodes answer and what the delivered files hold, not only the database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the issue promises: another node finishes a killed node's rotation within 30 s of the kill. */
    private static final Duration TAKEOVER = Duration.ofSeconds(30);

    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private DataSourceFactory database;
    private Path delivered;
    private DaemonProcess node1;
    private DaemonProcess node2;

    @BeforeAll
    void startCluster() throws Exception {
        Path base = Path.of("target", "cluster", run).toAbsolutePath();
        database = TestDatabases.postgres();
        Path shared = base.resolve("shared");
        CrashToken token = CrashToken.create(base.resolve("softhsm"), shared);
        delivered = Files.createDirectories(shared.resolve("delivered"));
        Map<String, String> env = Map.of("SOFTHSM2_CONF", token.conf().toString());
        node1 = new DaemonProcess(Path.of("config/rotakey.yml"), base.resolve("node1"), overrides("node1", shared), env);
        node2 = new DaemonProcess(Path.of("config/rotakey.yml"), base.resolve("node2"), overrides("node2", shared), env)
                .usingTokenOf(node1);
        node1.start("");
        node2.start("");
    }

    @AfterAll
    void stopCluster() {
        for (DaemonProcess n : new DaemonProcess[] {node2, node1}) {
            if (n != null) {
                n.close();
            }
        }
        if (database != null) {
            TestDatabases.cleanup(database);
        }
    }

    private Map<String, String> overrides(String node, Path shared) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("database.driverClass", "org.postgresql.Driver");
        o.put("database.url", database.getUrl());
        o.put("database.user", TestDatabases.PG_USER);
        o.put("database.password", "");
        // Both pools of both nodes (and the other tests' databases) within PostgreSQL's 100 connections.
        o.put("database.initialSize", "2");
        o.put("database.minSize", "2");
        o.put("scheduler.clustered", "true");
        o.put("scheduler.instanceId", node);
        // Enough workers for node 1 to take all 8 rotations of the kill test, frozen at two different steps.
        o.put("scheduler.threads", "8");
        o.put("keyBackends.hsm.pin.file", shared.resolve("hsm-pin").toString());
        o.put("targets.local-files.directory", shared.resolve("delivered").toString());
        o.put("targets.local-files.shared", "true");
        o.put("rotation.retry.initialBackoff", "PT0.1S");
        o.put("rotation.retry.maxBackoff", "PT0.5S");
        return o;
    }

    @Test
    @Order(1)
    void theFirstNodesAdminTokenStillWorksOnBothNodesAfterTheSecondStarted() {
        assertThat(Files.exists(node2.dataDir().resolve("admin-token"))).as("the second node writes no token file").isFalse();
        assertThat(node2.log()).contains("this node uses the cluster's admin token");
        assertThat(node1.get("/api/v1/agents").status()).isEqualTo(200);
        assertThat(node2.get("/api/v1/agents").status()).isEqualTo(200);
        // Each node names itself, and both list the cluster's two nodes as alive.
        await("both nodes checked in").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() -> {
            for (DaemonProcess n : List.of(node1, node2)) {
                JsonNode status = json(expect(n.get("/api/v1/status"), 200));
                List<String> healthy = new ArrayList<>();
                status.path("nodes").forEach(x -> {
                    if (x.path("healthy").asBoolean()) {
                        healthy.add(x.path("instanceId").asText());
                    }
                });
                if (!healthy.equals(List.of("node1", "node2"))) {
                    return false;
                }
            }
            return true;
        });
        assertThat(json(node2.get("/api/v1/status").body()).path("node").asText()).isEqualTo("node2");
    }

    @Test
    @Order(2)
    void aKeyCreatedOnOneNodeVerifiesOnTheOtherAndARevocationOnTheOtherHoldsOnTheFirst() throws Exception {
        String agent = "verify-" + run;
        expect(node1.post("/api/v1/agents", agentJson(agent)), 201);
        expect(node1.post("/api/v1/credentials", apiKeyJson(agent + "-key", agent)), 201);
        String key = delivered(agent + "-key");

        JsonNode onNode2 = json(expect(node2.post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}"), 200));
        assertThat(onNode2.path("valid").asBoolean()).as(onNode2.toString()).isTrue();

        // An emergency revocation, given to node 2 (it rotates first, then revokes): node 1 refuses the key.
        expect(node2.task("/tasks/revoke?credential=" + agent + "-key"), 200);
        await("node 1 refuses the revoked key").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> json(node1.post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}").body())
                        .path("reason").asText().equals("revoked"));
    }

    @Test
    @Order(3)
    void aMassRotationRunsEachRotationExactlyOnceAcrossTheNodes() throws Exception {
        String agent = "mass-" + run;
        List<String> ids = createApiKeys(agent, 16);
        expect(node2.task("/tasks/rotate?agent=" + agent), 200);
        awaitRotated(ids, 2, Duration.ofSeconds(60));
        assertExactlyOnce(ids, 2);
    }

    @Test
    @Order(4)
    void aNodeKilledMidStepHasItsRotationsFinishedByTheOtherWithin30Seconds() throws Exception {
        String agent = "kill-" + run;
        List<String> ids = createApiKeys(agent, 8);
        // Node 1 again, now freezing every rotation of this agent at a step: after the new version's commit, or just
        // before the promotion's. Node 2 runs unarmed.
        node1.stop();
        node1.start("create.after-commit@" + agent + "-a,promote.before-commit@" + agent + "-b");
        String answer = expect(node1.task("/tasks/rotate?agent=" + agent), 200);
        // The task answers its batch; the batch starts the rotations, which freeze in node 1's workers.
        String batch = json(answer).path("batch").path("href").asText();
        await("node 1's batch started every rotation").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> json(node2.get(batch).body()).path("counts").path("started").asInt() == ids.size());
        assertThat(node2.get(batch).body()).contains(ids.get(0));
        await("a rotation frozen on node 1").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> !node1.announced().isEmpty());
        List<String> frozen = node1.announced();

        node1.kill();
        long killed = System.nanoTime();
        awaitRotated(ids, 2, TAKEOVER.plusSeconds(5));
        Duration took = Duration.ofNanos(System.nanoTime() - killed);
        System.out.printf("cluster failover: %d rotation(s) frozen on node 1 (%s), all finished by node 2 %d ms after SIGKILL%n",
                frozen.size(), frozen, took.toMillis());
        assertThat(took).as("rotations frozen on the killed node, finished by the other").isLessThan(TAKEOVER);
        assertExactlyOnce(ids, 2);

        node1.start("");
        assertThat(node1.get("/api/v1/agents").status()).isEqualTo(200);
    }

    @Test
    @Order(5)
    void aNodeKilledDuringAMassRotationLeavesEveryRotationDoneExactlyOnce() throws Exception {
        String agent = "busy-" + run;
        List<String> ids = createApiKeys(agent, 60);
        expect(node1.task("/tasks/rotate?agent=" + agent), 200);
        // Killed wherever its workers are: some rotations done, some in a step, some not started.
        await("a few rotations done").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> ids.stream().limit(20).anyMatch(id -> current(json(node2.get("/api/v1/credentials/" + id).body())) == 2));
        node1.kill();
        long killed = System.nanoTime();
        awaitRotated(ids, 2, TAKEOVER.plusSeconds(30));
        System.out.printf("cluster failover: 60 rotations, node 1 killed among them, all done %d ms after SIGKILL%n",
                Duration.ofNanos(System.nanoTime() - killed).toMillis());
        assertExactlyOnce(ids, 2);
        node1.start("");
    }

    @Test
    @Order(6)
    void aPauseGivenToOneNodeHoldsOnEveryNodeAndSurvivesARestart() {
        expect(node2.task("/tasks/pause-rotations"), 200);
        assertThat(paused(node1)).isTrue();
        node1.stop();
        node1.start("");
        assertThat(paused(node1)).as("still paused after node 1 restarted").isTrue();
        assertThat(paused(node2)).isTrue();
        expect(node1.task("/tasks/resume-rotations"), 200);
        assertThat(paused(node2)).isFalse();
    }

    @Test
    @Order(7)
    void bothNodesServeTheSameCurrentCrl() {
        DaemonProcess.Answer one = node1.get("/api/v1/cas/agents-ca/crl");
        DaemonProcess.Answer two = node2.get("/api/v1/cas/agents-ca/crl");
        assertThat(one.status()).as(one.body()).isEqualTo(200);
        assertThat(two.body()).isEqualTo(one.body());
    }

    @Test
    @Order(8)
    void aCaRotatedOnOneNodeSignsTheOtherNodesNextCertificate() throws Exception {
        expect(node2.task("/tasks/rotate-ca?ca=agents-ca"), 200);
        String chain = expect(node1.get("/api/v1/cas/agents-ca/chain"), 200);
        assertThat(expect(node2.get("/api/v1/cas/agents-ca/chain"), 200)).isEqualTo(chain);
        X509Certificate newest = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(chain.getBytes(StandardCharsets.US_ASCII)));

        String agent = "cert-" + run;
        expect(node1.post("/api/v1/agents", agentJson(agent)), 201);
        expect(node1.post("/api/v1/credentials", "{\"id\":\"" + agent + "-tls\",\"agent\":\"" + agent + "\","
                + "\"type\":\"certificate\",\"backend\":\"hsm\",\"ca\":\"agents-ca\",\"keySpec\":\"EC_P256\","
                + "\"validity\":\"P30D\",\"rotation\":{\"every\":\"P10D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "-tls\"}]}"), 201);
        X509Certificate leaf;
        try (var in = Files.newInputStream(delivered.resolve(agent + "-tls").resolve("cert.pem"))) {
            leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        // Issued by node 1 with the key node 2 made in the shared token: node 1 saw the new generation at once.
        leaf.verify(newest.getPublicKey());
        assertThat(leaf.getIssuerX500Principal()).isEqualTo(newest.getSubjectX500Principal());
    }

    @Test
    @Order(9)
    void aRotationCommittedByANodeThatDiedBeforeSchedulingItIsFinishedByAnother() throws Exception {
        String agent = "unscheduled-" + run;
        List<String> ids = createApiKeys(agent, 1);
        node1.stop();
        node1.start("start.after-commit@" + ids.get(0));
        // The task's thread freezes between the rotation's commit and its trigger: the request never answers.
        CompletableFuture.runAsync(() -> {
            try {
                node1.task("/tasks/rotate?credential=" + ids.get(0));
            } catch (RuntimeException e) {
                // The node is killed under it.
            }
        });
        await("the rotation committed on node 1").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> !node1.announced().isEmpty());
        node1.kill();
        long killed = System.nanoTime();
        awaitRotated(ids, 2, TAKEOVER.plusSeconds(5));
        Duration took = Duration.ofNanos(System.nanoTime() - killed);
        System.out.printf("cluster failover: a rotation left without a trigger, finished by node 2 %d ms after SIGKILL%n",
                took.toMillis());
        assertThat(took).isLessThan(TAKEOVER);
        assertExactlyOnce(ids, 2);
        node1.start("");
    }

    private List<String> createApiKeys(String agent, int n) {
        expect(node1.post("/api/v1/agents", agentJson(agent)), 201);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // Alternately "-a…" and "-b…": two kinds of fail points in the kill test.
            String id = agent + (i % 2 == 0 ? "-a" : "-b") + i;
            expect((i % 2 == 0 ? node1 : node2).post("/api/v1/credentials", apiKeyJson(id, agent)), 201);
            ids.add(id);
        }
        return ids;
    }

    /** Waits until every credential's CURRENT version is {@code version} and no rotation of it runs. */
    private void awaitRotated(List<String> ids, int version, Duration within) {
        await("rotations to version " + version).atMost(within).pollInterval(Duration.ofMillis(250)).until(() -> {
            for (String id : ids) {
                JsonNode c = json(node2.get("/api/v1/credentials/" + id).body());
                if (current(c) != version || running(id)) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * Each credential: versions 1..{@code last}, each once, no PENDING one, exactly one rotation to each version
     * after the first, and the delivered key verifies as the CURRENT version on both nodes.
     */
    private void assertExactlyOnce(List<String> ids, int last) throws Exception {
        for (String id : ids) {
            JsonNode c = json(node2.get("/api/v1/credentials/" + id).body());
            Map<Integer, String> versions = new TreeMap<>();
            for (JsonNode v : c.path("versions")) {
                assertThat(versions.put(v.path("version").asInt(), v.path("state").asText()))
                        .as("%s: version %s listed twice", id, v.path("version")).isNull();
            }
            assertThat(versions.keySet()).as("%s versions %s", id, versions).containsExactly(1, last);
            assertThat(versions.values()).as(id).doesNotContain("PENDING");
            JsonNode rotations = json(node2.get("/api/v1/credentials/" + id + "/rotations?limit=100").body()).path("rotations");
            Map<Integer, Integer> succeeded = new TreeMap<>();
            for (JsonNode r : rotations) {
                if (r.path("state").asText().equals("SUCCEEDED")) {
                    succeeded.merge(r.path("version").asInt(), 1, Integer::sum);
                }
            }
            assertThat(succeeded.get(last)).as("%s: rotations that delivered version %d", id, last).isEqualTo(1);
            String key = delivered(id);
            for (DaemonProcess node : List.of(node1, node2)) {
                if (!node.alive()) {
                    continue;
                }
                JsonNode v = json(node.post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}").body());
                assertThat(v.path("valid").asBoolean()).as("%s delivered key on a node: %s", id, v).isTrue();
                assertThat(v.path("version").asInt()).as(id).isEqualTo(last);
            }
        }
    }

    private int current(JsonNode credential) {
        for (JsonNode v : credential.path("versions")) {
            if (v.path("state").asText().equals("CURRENT")) {
                return v.path("version").asInt();
            }
        }
        return 0;
    }

    private boolean running(String id) {
        for (JsonNode r : json(node2.get("/api/v1/credentials/" + id + "/rotations?limit=100").body()).path("rotations")) {
            if (r.path("state").asText().equals("RUNNING")) {
                return true;
            }
        }
        return false;
    }

    private static boolean paused(DaemonProcess node) {
        return json(expect(node.get("/api/v1/status"), 200)).path("paused").asBoolean();
    }

    private String delivered(String credentialId) throws IOException {
        return Files.readString(delivered.resolve(credentialId).resolve("secret"), StandardCharsets.UTF_8).trim();
    }

    private static String agentJson(String agent) {
        return "{\"id\":\"" + agent + "\",\"owner\":\"cluster-tests@example.com\"}";
    }

    private static String apiKeyJson(String id, String agent) {
        return "{\"id\":\"" + id + "\",\"agent\":\"" + agent + "\",\"type\":\"api-key\",\"backend\":\"hsm\","
                + "\"rotation\":{\"every\":\"P10D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + id + "/secret\"}]}";
    }

    private static String expect(DaemonProcess.Answer a, int status) {
        assertThat(a.status()).as(a.body()).isEqualTo(status);
        return a.body();
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(body, e);
        }
    }
}
