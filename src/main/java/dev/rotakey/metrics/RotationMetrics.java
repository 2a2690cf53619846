package dev.rotakey.metrics;

import com.codahale.metrics.CachedGauge;
import com.codahale.metrics.MetricRegistry;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Rotation metrics: rotations started, succeeded and failed (by trigger), step durations and
 * outcomes, and credential versions by state (a cached count, not a query per scrape).
 */
public final class RotationMetrics implements RotationListener {
    private final MetricRegistry registry;

    public RotationMetrics(MetricRegistry registry, Store store) {
        this.registry = registry;
        CachedGauge<Map<String, Long>> counts = new CachedGauge<>(15, TimeUnit.SECONDS) {
            @Override
            protected Map<String, Long> loadValue() {
                return store.read(d -> d.versions().countByState());
            }
        };
        for (VersionState s : VersionState.values()) {
            registry.gauge(MetricRegistry.name("rotakey", "versions", s.name().toLowerCase(java.util.Locale.ROOT)),
                    () -> () -> counts.getValue().getOrDefault(s.name(), 0L));
        }
    }

    @Override
    public void afterStep(Rotation before, Rotation after, Duration took) {
        String step = before.step().name().toLowerCase(java.util.Locale.ROOT);
        boolean failed = after.step() == before.step() && after.attempts() > before.attempts()
                || after.step() == RotationStep.CLEANUP && before.step() != RotationStep.CLEANUP;
        registry.timer(MetricRegistry.name("rotakey", "rotation", "step", step)).update(took);
        if (failed) {
            registry.meter(MetricRegistry.name("rotakey", "rotation", "step", step, "failures")).mark();
        }
        String trigger = after.trigger().wireName();
        if (before.step() == RotationStep.CREATE && before.attempts() == 0) {
            registry.meter(MetricRegistry.name("rotakey", "rotations", "started", trigger)).mark();
        }
        if (after.state() == RotationState.SUCCEEDED) {
            registry.meter(MetricRegistry.name("rotakey", "rotations", "succeeded", trigger)).mark();
            registry.timer(MetricRegistry.name("rotakey", "rotations", "duration"))
                    .update(Duration.between(after.startedAt(), after.finishedAt()));
        } else if (after.state() == RotationState.FAILED) {
            registry.meter(MetricRegistry.name("rotakey", "rotations", "failed", trigger)).mark();
        }
    }
}
