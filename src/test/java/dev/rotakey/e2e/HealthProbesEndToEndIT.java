package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.http.RawHttp;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The load balancers' probes on the real daemon: {@code /health/live} and {@code /health/ready} answer on both
 * ports without a token and say nothing but their status; a failed rotation and an expiring CA show at the
 * authenticated {@code /healthcheck} but leave the node ready; an offline key backend makes it not ready; and no
 * path around the two exact public paths gets past the token check.
 */
class HealthProbesEndToEndIT {
    @TempDir
    Path dir;

    RunningDaemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    private int app() {
        return daemon.app("/").getPort();
    }

    private int admin() {
        return daemon.admin("/").getPort();
    }

    private static RawHttp.Reply raw(int port, String method, String target) {
        return RawHttp.send(port, RawHttp.request(method, target, null, null, null));
    }

    @Test
    void aFailedRotationAndAnExpiringCaAreForPeopleAndLeaveTheNodeReady() throws Exception {
        // A CA certificate valid for 10 days: the certificate-authorities check warns 30 days ahead.
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey"), SoftHsmTokens.APP,
                RunningDaemon.uniqueName("probes"), ConfigOverride.config("certificateAuthorities.agents-ca.validity", "P10D"));
        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"lb-agent\",\"owner\":\"lb@example.com\"}").status()).isEqualTo(201);
        RunningDaemon.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"lb-key\",\"agent\":\"lb-agent\","
                + "\"type\":\"api-key\",\"backend\":\"hsm\",\"targets\":[{\"target\":\"local-files\",\"path\":\"lb/key\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);

        // The delivered file becomes a directory with something in it: no delivery can replace it.
        Path delivered = daemon.dataDir().resolve("delivered/lb/key");
        Files.delete(delivered);
        Files.createDirectories(delivered.resolve("blocker"));
        RunningDaemon.Answer started = daemon.task("/tasks/rotate?credential=lb-key");
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        String rotation = started.json().path("rotations").get(0).path("id").asText();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                !daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText().equals("RUNNING"));
        assertThat(daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText()).isEqualTo("FAILED");

        JsonNode details = daemon.adminGet("/healthcheck").json();
        assertThat(details.path("failed-rotations").path("healthy").asBoolean()).isFalse();
        assertThat(details.path("failed-rotations").path("message").asText()).contains("lb-key");
        assertThat(details.path("certificate-authorities").path("healthy").asBoolean()).isFalse();
        assertThat(details.path("certificate-authorities").path("message").asText()).contains("agents-ca", "expires");
        for (String check : List.of("database-store", "key-backend-hsm", "scheduler")) {
            assertThat(details.path(check).path("healthy").asBoolean()).as(check).isTrue();
        }

        for (int port : List.of(app(), admin())) {
            for (String probe : List.of("/health/ready", "/health/live")) {
                RawHttp.Reply r = raw(port, "GET", probe);
                assertThat(r.status()).as(port + probe + ": " + r.body()).isEqualTo(200);
                assertThat(r.header("content-type")).startsWith("application/json");
                assertThat(r.header("cache-control")).isEqualTo("no-store");
                assertThat(r.body()).isEqualTo(probe.endsWith("ready") ? "{\"status\":\"ready\"}" : "{\"status\":\"live\"}");
                RawHttp.Reply head = raw(port, "HEAD", probe);
                assertThat(head.status()).isEqualTo(200);
                assertThat(head.body()).isEmpty();
            }
        }
    }

    @Test
    void onlyGetAndHeadAndNoPathAroundTheProbesSkipsTheToken() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey"), SoftHsmTokens.APP,
                RunningDaemon.uniqueName("probes"));
        for (int port : List.of(app(), admin())) {
            for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")) {
                RawHttp.Reply r = raw(port, method, "/health/ready");
                assertThat(r.status()).as(port + " " + method + ": " + r.body()).isEqualTo(405);
                if (!method.equals("TRACE")) {
                    // TRACE never reaches a servlet on the API port: the request guard refuses it for the whole port.
                    assertThat(r.header("allow")).isEqualTo("GET, HEAD");
                }
                assertThat(r.body()).startsWith("{").doesNotContain("Exception", "dev.rotakey");
            }
        }
        List<String> hostile = List.of("/health/ready/../../api/v1/agents", "/health/ready/../../api/v1/status",
                "/health/live/../../healthcheck", "/health/ready/../../metrics/prometheus", "/health/ready/..",
                "/health/%2e%2e/api/v1/agents", "/health/ready/%2e%2e/%2e%2e/api/v1/agents", "/health/ready%2f..%2f..%2fhealthcheck",
                "/health/ready;x=1", "/health/ready;/../../healthcheck", "/health//ready", "/health/./ready",
                "/health/ready/", "/health/readyX", "/health/ready.json", "/health/READY", "/Health/ready", "/health",
                "/health/", "/health/ready/x", "/health/ready%00", "/health/ready%20", "/health/ready\\..\\..\\healthcheck",
                "/health/ready/%252e%252e/%252e%252e/api/v1/agents", "/x/../health/ready/../api/v1/agents");
        for (int port : List.of(app(), admin())) {
            for (String target : hostile) {
                RawHttp.Reply r = raw(port, "GET", target);
                assertThat(r.status()).as(port + " GET " + target + ": " + r.body()).isIn(400, 401, 404);
                assertThat(r.body()).as(target).doesNotContain("\"status\"", "healthy", "rk_");
            }
        }
        // What those paths would have reached still needs a token.
        assertThat(raw(app(), "GET", "/api/v1/agents").status()).isEqualTo(401);
        assertThat(raw(admin(), "GET", "/healthcheck").status()).isEqualTo(401);
        // A query string does not change the path: the probe still answers, and only with its status.
        RawHttp.Reply q = raw(app(), "GET", "/health/ready?verbose=true&pretty=true");
        assertThat(q.status()).isEqualTo(200);
        assertThat(q.body()).isEqualTo("{\"status\":\"ready\"}");
    }

    @Test
    void anOfflineKeyBackendMakesTheNodeNotReadyButStillLive() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey"),
                "rotakey-not-plugged-in", RunningDaemon.uniqueName("probes-offline"));
        for (int port : List.of(app(), admin())) {
            RawHttp.Reply ready = raw(port, "GET", "/health/ready");
            assertThat(ready.status()).as(ready.body()).isEqualTo(503);
            assertThat(ready.body()).isEqualTo("{\"status\":\"not ready\"}");
            RawHttp.Reply live = raw(port, "GET", "/health/live");
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.body()).isEqualTo("{\"status\":\"live\"}");
        }
        // The reason is for an operator with a token.
        assertThat(daemon.adminGet("/healthcheck").json().path("key-backend-hsm").path("message").asText())
                .contains("rotakey-not-plugged-in");
    }
}
