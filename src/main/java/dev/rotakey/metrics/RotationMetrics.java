package dev.rotakey.metrics;

import dev.rotakey.core.CredentialType;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.db.Store;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Rotakey's rotation metrics, told by the executor about every persisted step: rotations finished
 * by credential type, trigger and outcome with their durations, step durations by outcome, and the
 * rotations this process is driving.
 */
public final class RotationMetrics implements RotationListener {
    private static final Logger LOG = LoggerFactory.getLogger(RotationMetrics.class);
    /** Credentials whose type is remembered; a type never changes, so entries never go stale. */
    private static final int TYPE_CACHE_SIZE = 4096;
    static final String UNKNOWN_TYPE = "unknown";

    private final Counter rotations;
    private final Histogram rotationDuration;
    private final Histogram stepDuration;
    private final Set<String> inProgress = ConcurrentHashMap.newKeySet();
    private final Function<String, String> typeLookup;
    private final Map<String, String> types = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > TYPE_CACHE_SIZE;
        }
    };

    public RotationMetrics(PrometheusRegistry registry, Store store) {
        this(registry, id -> store.read(d -> d.credentials().typeOf(id)).orElse(UNKNOWN_TYPE));
    }

    /** @param typeLookup the wire name of a credential's type, by credential id */
    RotationMetrics(PrometheusRegistry registry, Function<String, String> typeLookup) {
        this.typeLookup = typeLookup;
        rotations = Counter.builder().name("rotakey_rotations_total")
                .help("Rotations finished, by credential type, trigger and outcome (succeeded, failed)")
                .labelNames("type", "trigger", "outcome").register(registry);
        rotationDuration = Histogram.builder().name("rotakey_rotation_duration_seconds")
                .help("Time from a rotation's start to its end, retries and backoff included")
                .labelNames("type", "trigger", "outcome").classicOnly().withoutExemplars()
                .classicUpperBounds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600)
                .register(registry);
        stepDuration = Histogram.builder().name("rotakey_rotation_step_duration_seconds")
                .help("Time one attempt of a rotation step took, by step and outcome (ok, retry, failed)")
                .labelNames("step", "outcome").classicOnly().withoutExemplars()
                .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                .register(registry);
        GaugeWithCallback.builder().name("rotakey_rotations_in_progress")
                .help("Rotations this process is driving that have not finished (waiting for a retry included)")
                .callback(cb -> cb.call(inProgress.size())).register(registry);
        // Zero series for every combination, so that increase() sees the first rotation of each kind.
        for (CredentialType t : CredentialType.values()) {
            for (RotationTrigger tr : RotationTrigger.values()) {
                rotations.labelValues(t.wireName(), tr.wireName(), "succeeded");
                rotations.labelValues(t.wireName(), tr.wireName(), "failed");
            }
        }
    }

    @Override
    public void afterStep(Rotation before, Rotation after, Duration took) {
        stepDuration.labelValues(lower(before.step()), stepOutcome(before, after)).observe(seconds(took));
        if (!after.state().terminal()) {
            inProgress.add(after.id());
            return;
        }
        inProgress.remove(after.id());
        String type = typeOf(after.credentialId());
        String outcome = after.state() == RotationState.SUCCEEDED ? "succeeded" : "failed";
        String trigger = after.trigger().wireName();
        rotations.labelValues(type, trigger, outcome).inc();
        if (after.startedAt() != null && after.finishedAt() != null) {
            rotationDuration.labelValues(type, trigger, outcome)
                    .observe(seconds(Duration.between(after.startedAt(), after.finishedAt())));
        }
    }

    /**
     * {@code ok} when the step moved the rotation forward; {@code retry} when the same step (or an
     * earlier one, after lost material) runs again; {@code failed} when the rotation gave up: sent to
     * clean-up, or clean-up itself ran out of attempts.
     */
    static String stepOutcome(Rotation before, Rotation after) {
        if (after.step() == before.step()) {
            return "retry";
        }
        if (after.step() == RotationStep.CLEANUP || after.step() == RotationStep.DONE && after.attempts() > 0) {
            return "failed";
        }
        return after.step().ordinal() < before.step().ordinal() ? "retry" : "ok";
    }

    private String typeOf(String credentialId) {
        synchronized (types) {
            String t = types.get(credentialId);
            if (t != null) {
                return t;
            }
        }
        String t;
        try {
            t = typeLookup.apply(credentialId);
        } catch (RuntimeException e) {
            // A metric must never break the rotation that reports it; the next rotation looks again.
            LOG.warn("credential type of {} unavailable for metrics: {}", credentialId, e.toString(), e);
            return UNKNOWN_TYPE;
        }
        if (!UNKNOWN_TYPE.equals(t)) {
            synchronized (types) {
                types.put(credentialId, t);
            }
        }
        return t;
    }

    private static String lower(RotationStep step) {
        return step.name().toLowerCase(Locale.ROOT);
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
