package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What {@code systemctl stop} / {@code restart} does to a rotation in flight: the daemon is stopped
 * the way the unit stops it (Dropwizard's graceful shutdown, Quartz waiting for running jobs) while a
 * rotation is in a backoff wait because its webhook consumer answers 503; the rotation stays RUNNING
 * with every finished step committed, and the next start resumes it from there (fresh material for
 * the same version, since the plaintext died with the old process) and completes it.
 */
class StopDuringRotationEndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    HttpServer consumer;
    final AtomicBoolean accepting = new AtomicBoolean(true);
    final AtomicInteger refused = new AtomicInteger();
    /** credential.delivered events the consumer accepted: their version numbers, in order. */
    final List<Integer> deliveredVersions = new CopyOnWriteArrayList<>();
    RunningDaemon daemon;
    String scheduler;
    Path secret;

    @BeforeEach
    void startConsumer() throws IOException {
        consumer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        consumer.createContext("/hook", this::hook);
        consumer.start();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        secret = Files.writeString(dir.resolve("webhook-secret"), HexFormat.of().formatHex(key));
        scheduler = RunningDaemon.uniqueName("stop");
    }

    private void hook(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (!accepting.get()) {
                refused.incrementAndGet();
                exchange.sendResponseHeaders(503, -1);
                return;
            }
            JsonNode event = JSON.readTree(body);
            if (event.path("event").asText().equals("credential.delivered")) {
                deliveredVersions.add(event.path("version").asInt());
            }
            exchange.sendResponseHeaders(204, -1);
        }
    }

    private RunningDaemon startDaemon() {
        // Enough attempts that the rotation is still waiting to retry when the daemon stops.
        Map<String, String> retry = Map.of("rotation.retry.maxAttempts", "100",
                "rotation.retry.initialBackoff", "PT0.5S", "rotation.retry.maxBackoff", "PT1S");
        return new RunningDaemon("config/rotakey.yml", dir.resolve("data"),
                "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000", SoftHsmTokens.APP, scheduler, retry,
                ConfigOverride.config("targets.consumer.type", "webhook"),
                ConfigOverride.config("targets.consumer.url", "http://127.0.0.1:" + consumer.getAddress().getPort() + "/hook"),
                ConfigOverride.config("targets.consumer.allowHttp", "true"),
                ConfigOverride.config("targets.consumer.secret.file", secret.toString()),
                ConfigOverride.config("targets.consumer.timeout", "2s"),
                ConfigOverride.config("rotation.retry.jitter", "0.0"));
    }

    @AfterEach
    void stopAll() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
        consumer.stop(0);
    }

    private JsonNode rotation(String id) {
        RunningDaemon.Answer a = daemon.get("/api/v1/rotations/" + id);
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return a.json();
    }

    @Test
    void aRotationInterruptedByAStopResumesAfterTheRestart() {
        daemon = startDaemon();
        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"billing-agent\",\"owner\":\"team-billing@example.com\"}")
                .status()).isEqualTo(201);
        RunningDaemon.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"billing-hook\",\"agent\":\"billing-agent\","
                + "\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"consumer\",\"path\":\"billing\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(deliveredVersions).containsExactly(1);

        // The consumer goes down; an operator rotates; delivery fails and waits to be retried.
        accepting.set(false);
        RunningDaemon.Answer started = daemon.task("/tasks/rotate?credential=billing-hook");
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        String id = started.json().get("rotations").get(0).get("id").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> refused.get() >= 2);
        JsonNode before = rotation(id);
        assertThat(before.get("state").asText()).isEqualTo("RUNNING");
        assertThat(before.get("step").asText()).isEqualTo("deliver");
        assertThat(before.get("version").asInt()).isEqualTo(2);

        // systemctl stop: the graceful shutdown. CREATE is committed; each failed DELIVER attempt too.
        long stopping = System.nanoTime();
        daemon.close();
        daemon = null;
        Duration stopTook = Duration.ofNanos(System.nanoTime() - stopping);
        // The rotation waits in the database, not in a thread: stopping does not wait for it.
        assertThat(stopTook).isLessThan(Duration.ofSeconds(20));
        int refusedWhileUp = refused.get();
        accepting.set(true);

        // systemctl start: the rotation carries on from DELIVER, with the same id and version number.
        daemon = startDaemon();
        await().atMost(Duration.ofSeconds(30)).until(() -> rotation(id).get("state").asText().equals("SUCCEEDED"));
        JsonNode after = rotation(id);
        assertThat(after.get("version").asInt()).isEqualTo(2);
        assertThat(refused.get()).as("no delivery was attempted while the daemon was down").isEqualTo(refusedWhileUp);
        assertThat(deliveredVersions).containsExactly(1, 2);

        List<String> steps = after.get("steps").findValuesAsText("step");
        List<String> outcomes = after.get("steps").findValuesAsText("outcome");
        assertThat(steps.get(0)).isEqualTo("create");
        assertThat(outcomes.get(0)).isEqualTo("OK");
        assertThat(outcomes.subList(1, 1 + refusedWhileUp)).as(after.toString()).containsOnly("RETRY");
        assertThat(steps).contains("verify", "promote");

        // The pending key's plaintext was lost with the old process: the same version got fresh material.
        JsonNode audit = daemon.get("/api/v1/audit?subject=credential:billing-hook&limit=100").json();
        assertThat(audit.toString()).contains("rotation.material-recreated");
        JsonNode credential = daemon.get("/api/v1/credentials/billing-hook").json();
        assertThat(credential.get("versions").findValuesAsText("state")).contains("CURRENT", "PREVIOUS")
                .hasSize(2);
    }
}
