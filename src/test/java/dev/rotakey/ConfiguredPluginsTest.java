package dev.rotakey;

import com.codahale.metrics.MetricRegistry;
import dev.rotakey.db.Store;
import dev.rotakey.targets.LimitedTarget;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetLimitsFactory;
import dev.rotakey.targets.files.LocalFilesTargetFactory;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ConfiguredPlugins#targets}: a target's limits hold for the cluster only on a clustered PostgreSQL node. */
class ConfiguredPluginsTest {
    @TempDir
    Path dir;

    private RotakeyConfiguration config(boolean clustered, String url) {
        TargetLimitsFactory limits = new TargetLimitsFactory();
        limits.setConcurrency(2);
        limits.setPerSecond(10);
        LocalFilesTargetFactory files = new LocalFilesTargetFactory();
        files.setDirectory(dir.toString());
        files.setLimits(limits);
        RotakeyConfiguration config = new RotakeyConfiguration();
        config.setTargets(Map.of("files", files));
        config.getScheduler().setClustered(clustered);
        config.getDatabase().setUrl(url);
        return config;
    }

    private static Target files(RotakeyConfiguration config) {
        // Never connects: nothing here runs a statement or opens a lock connection.
        Store store = new Store(Jdbi.create("jdbc:h2:mem:never-used"));
        Target target = ConfiguredPlugins.targets(config, new PrometheusRegistry(), new MetricRegistry(), store)
                .get("files");
        assertThat(target).isInstanceOf(LimitedTarget.class);
        return target;
    }

    @Test
    void aClusteredNodeOnPostgresqlSharesItsTargetsLimitsWithTheCluster() {
        try (Target t = files(config(true, "jdbc:postgresql://db.example:5432/rotakey"))) {
            assertThat(t.toString()).contains("permits=AdvisoryLockPermits{files, size=2}",
                    "slots=DatabaseStartSlots{files, intervalMicros=100000}");
        }
    }

    @Test
    void aSingleNodeKeepsItsTargetsLimitsInProcess() {
        for (RotakeyConfiguration config : new RotakeyConfiguration[] {
                config(false, "jdbc:postgresql://db.example:5432/rotakey"), config(true, "jdbc:h2:file:./data/rotakey")}) {
            try (Target t = files(config)) {
                assertThat(t.toString()).contains("permits=LocalPermits{size=2}", "slots=LocalStartSlots");
            }
        }
    }
}
