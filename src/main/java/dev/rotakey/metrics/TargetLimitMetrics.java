package dev.rotakey.metrics;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Storm control's metric families, shared by every limited target of one registry, with the target's name as the
 * {@code target} label rather than in the metric's name: {@code rotakey_target_queued} (operations waiting for a
 * permit or a start slot) and {@code rotakey_target_wait_seconds} (how long each waited).
 */
public final class TargetLimitMetrics {
    private final Gauge queued;
    private final Histogram wait;

    public TargetLimitMetrics(PrometheusRegistry registry) {
        queued = Gauge.builder().name("rotakey_target_queued")
                .help("Target operations waiting for a concurrency permit or a start slot (limits:) right now")
                .labelNames("target").register(registry);
        wait = Histogram.builder().name("rotakey_target_wait_seconds")
                .help("Time a target operation waited for its permit and start slot before it ran (limits:)")
                .labelNames("target").classicOnly().withoutExemplars()
                .classicUpperBounds(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
                .register(registry);
    }

    /** The series of {@code target}, exported (at zero) from now on. */
    public GaugeDataPoint queued(String target) {
        return queued.labelValues(target);
    }

    /** The series of {@code target}, exported (empty) from now on. */
    public DistributionDataPoint waited(String target) {
        return wait.labelValues(target);
    }
}
