package dev.rotakey.e2e;

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

        String metrics = daemon.adminGet("/metrics/prometheus").body();
        // Creation delivers and verifies: two operations went through the limits. The target is a label, one
        // family for every target, and no metric's name holds a target's name.
        assertThat(metrics).contains("\nrotakey_target_wait_seconds_count{target=\"local-files\"} 2\n",
                "\nrotakey_target_queued{target=\"local-files\"} 0.0\n");
        assertThat(metrics.lines().filter(l -> l.startsWith("# TYPE rotakey_target_queued "))).hasSize(1);
        assertThat(metrics.lines().filter(l -> !l.startsWith("#")).map(l -> l.split("[{ ]", 2)[0]))
                .noneMatch(name -> name.contains("local_files") || name.contains("local-files"));
    }
}
