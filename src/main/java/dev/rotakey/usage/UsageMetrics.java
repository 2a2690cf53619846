package dev.rotakey.usage;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.EnumMap;
import java.util.Map;

/**
 * The usage telemetry's own metrics: uses recorded (counted at each flush, not per use), uses folded or dropped at the
 * memory bound, flush durations and failures, and anomalies recorded by kind (which the RotakeyUsageAnomaly rule
 * alerts on).
 */
final class UsageMetrics {
    private final Counter recorded;
    private final Counter flushFailures;
    private final Histogram flushDuration;
    private final Map<AnomalyKind, CounterDataPoint> anomalies = new EnumMap<>(AnomalyKind.class);

    UsageMetrics(PrometheusRegistry registry, UsageCounters counters) {
        recorded = Counter.builder().name("rotakey_usage_recorded_total")
                .help("Uses of credentials (verifications, acknowledgements) written to the usage telemetry")
                .register(registry);
        CounterWithCallback.builder().name("rotakey_usage_dropped_total")
                .help("Uses past governance.usage.maxKeysInMemory distinct counters between flushes: folded into "
                        + "their credential's (other) service and network, or lost when those were full too")
                .labelNames("reason")
                .callback(cb -> {
                    cb.call(counters.folded(), "folded");
                    cb.call(counters.lost(), "lost");
                })
                .register(registry);
        flushFailures = Counter.builder().name("rotakey_usage_flush_failures_total")
                .help("Flushes of the usage telemetry that failed; their counts are lost").register(registry);
        flushDuration = Histogram.builder().name("rotakey_usage_flush_duration_seconds")
                .help("How long a flush of the usage telemetry took, anomaly detection included").register(registry);
        Counter byKind = Counter.builder().name("rotakey_usage_anomalies_total")
                .help("Usage anomalies recorded, by kind (spike, new-service, new-network, previous-late)")
                .labelNames("kind").register(registry);
        // Zero series from the start: increase() then sees the very first anomaly.
        for (AnomalyKind k : AnomalyKind.values()) {
            anomalies.put(k, byKind.labelValues(k.wireName()));
        }
    }

    void flushed(long uses, double seconds) {
        recorded.inc(uses);
        flushDuration.observe(seconds);
    }

    void failed() {
        flushFailures.inc();
    }

    void anomaly(AnomalyKind kind) {
        anomalies.get(kind).inc();
    }
}
