package dev.rotakey.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A daemon whose HSM token is missing at start-up still starts: the key backend's health check
 * says why it is down, and requests that need it (the CA chain too) answer 503 with a JSON body, never a 500.
 */
class OfflineBackendIT {
    @TempDir
    Path dir;

    RunningDaemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void missingTokenMeansUnhealthyBackendAndClearAnswers() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey"),
                "rotakey-not-plugged-in", RunningDaemon.uniqueName("offline"));
        RunningDaemon.Answer health = daemon.adminGet("/healthcheck");
        assertThat(health.status()).isEqualTo(500);
        assertThat(health.json().get("key-backend-hsm").get("healthy").asBoolean()).isFalse();
        assertThat(health.json().get("key-backend-hsm").get("message").asText()).contains("rotakey-not-plugged-in");
        assertThat(health.json().get("database").get("healthy").asBoolean()).isTrue();

        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"a\",\"owner\":\"o\"}").status()).isEqualTo(201);
        RunningDaemon.Answer create = daemon.post("/api/v1/credentials",
                "{\"id\":\"c\",\"agent\":\"a\",\"targets\":[{\"target\":\"local-files\",\"path\":\"a/c\"}]}");
        assertThat(create.status()).as(create.body()).isEqualTo(503);
        assertThat(create.json().get("message").asText()).contains("unavailable").contains("rotakey-not-plugged-in");
        assertThat(daemon.get("/api/v1/credentials/c").status()).isEqualTo(404);

        RunningDaemon.Answer verify = daemon.post("/api/v1/api-keys/verify",
                "{\"key\":\"rk_0000000000000000000000000000000000000000000000000\"}");
        assertThat(verify.status()).isIn(200, 503);
        assertThat(verify.body()).doesNotContain("Exception");

        // The CA could not be created at start-up: its public chain is a 503 without a token, not a 500.
        RunningDaemon.Answer chain = daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/cas/agents-ca/chain")).GET(), null);
        assertThat(chain.status()).as(chain.body()).isEqualTo(503);
        assertThat(chain.json().get("message").asText()).contains("CA not initialised yet");
    }
}
