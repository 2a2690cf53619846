package dev.rotakey.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link TargetLimitMetrics}: one family each, one series per target, the target only in a properly escaped label. */
class TargetLimitMetricsTest {
    @Test
    void oneFamilyWithOneSeriesPerTarget() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        TargetLimitMetrics metrics = new TargetLimitMetrics(registry);
        metrics.queued("db-1").inc();
        metrics.queued("vault-kv");
        metrics.waited("db-1").observe(0.2);
        // Not a valid target name, but the exposition must not break on one.
        metrics.queued("odd\"name\\x").set(2);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        String text = out.toString(StandardCharsets.UTF_8);

        assertThat(text.lines().filter(l -> l.startsWith("# TYPE rotakey_target_queued gauge"))).hasSize(1);
        assertThat(text.lines().filter(l -> l.startsWith("# TYPE rotakey_target_wait_seconds histogram"))).hasSize(1);
        assertThat(text).contains("rotakey_target_queued{target=\"db-1\"} 1.0\n", "rotakey_target_queued{target=\"vault-kv\"} 0.0\n",
                "rotakey_target_queued{target=\"odd\\\"name\\\\x\"} 2.0\n",
                "rotakey_target_wait_seconds_bucket{target=\"db-1\",le=\"0.25\"} 1\n",
                "rotakey_target_wait_seconds_count{target=\"db-1\"} 1\n");
        assertThat(text.lines().filter(l -> !l.startsWith("#")).map(l -> l.split("[{ ]", 2)[0]))
                .allMatch(name -> name.startsWith("rotakey_target_queued") || name.startsWith("rotakey_target_wait_seconds"));
    }
}
