package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.targets.LimitedTarget;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Storm control in the real daemon: a {@code limits:} block wraps its target and shows up in the admin metrics. */
class TargetLimitsEndToEndIT {
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

    @Test
    void aLimitedTargetQueuesItsOperationsAndReportsTheWait() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("limits"),
                ConfigOverride.config("targets.local-files.limits.concurrency", "1"),
                ConfigOverride.config("targets.local-files.limits.perSecond", "50"));
        assertThat(daemon.runtime().targets().get("local-files")).isInstanceOf(LimitedTarget.class);

        RunningDaemon.Answer agent = daemon.post("/api/v1/agents", "{\"id\":\"a1\",\"owner\":\"team@example.com\"}");
        assertThat(agent.status()).as(agent.body()).isEqualTo(201);
        RunningDaemon.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"c1\",\"agent\":\"a1\","
                + "\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"a1/c1\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);

        JsonNode metrics = daemon.adminGet("/metrics").json();
        // Creation delivers and verifies: two operations went through the limits.
        assertThat(metrics.path("timers").path("rotakey.target.local-files.wait").path("count").asInt()).isEqualTo(2);
        assertThat(metrics.path("gauges").path("rotakey.target.local-files.queued").path("value").asInt()).isZero();
    }
}
