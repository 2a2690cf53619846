package dev.rotakey.metrics;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.ForwardingTarget;
import dev.rotakey.targets.Promotion;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetException;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;


/**
 * A target that times its deliver, verify, revoke and discard calls and counts their failures
 * by whether a retry may help, delegating everything to the real target.
 */
public final class InstrumentedTarget extends ForwardingTarget {

    /** The metric families shared by every instrumented target of one registry. */
    public static final class Metrics {
        private final Histogram duration;
        private final Counter errors;

        public Metrics(PrometheusRegistry registry) {
            duration = Histogram.builder().name("rotakey_target_operation_duration_seconds")
                    .help("Time a target operation took at the system behind the target, failed ones included")
                    .labelNames("target", "type", "operation").classicOnly().withoutExemplars()
                    .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                    .register(registry);
            errors = Counter.builder().name("rotakey_target_operation_errors_total")
                    .help("Target operations that failed, by whether the workflow retries them")
                    .labelNames("target", "type", "operation", "retryable").register(registry);
        }
    }

    private final Metrics metrics;

    public InstrumentedTarget(Target delegate, Metrics metrics) {
        super(delegate);
        this.metrics = metrics;
        // Exported at zero from the start: a series that first appears at 1 has no increase() to alert on, and
        // RotakeyReloadHookFailed must fire on the first failed action after a promotion.
        for (String retryable : new String[] {"true", "false"}) {
            metrics.errors.labelValues(name(), type(), "promoted", retryable);
        }
    }

    @Override
    public void deliver(Delivery delivery) {
        timed("deliver", () -> super.deliver(delivery));
    }

    @Override
    public void verify(Delivery delivery) {
        timed("verify", () -> super.verify(delivery));
    }

    @Override
    public void revoke(Revocation revocation) {
        timed("revoke", () -> super.revoke(revocation));
    }

    @Override
    public void discard(Revocation revocation) {
        timed("discard", () -> super.discard(revocation));
    }

    @Override
    public boolean promoted(Promotion promotion) {
        boolean[] acted = {false};
        timed("promoted", () -> acted[0] = super.promoted(promotion));
        return acted[0];
    }

    @Override
    public String toString() {
        return delegate().toString();
    }

    private void timed(String operation, Runnable call) {
        long start = System.nanoTime();
        try {
            call.run();
        } catch (RuntimeException e) {
            // Anything but a TargetException is a bug in the target: the workflow treats it as not retryable.
            boolean retryable = e instanceof TargetException t && t.retryable();
            metrics.errors.labelValues(name(), type(), operation, Boolean.toString(retryable)).inc();
            throw e;
        } finally {
            metrics.duration.labelValues(name(), type(), operation)
                    .observe((System.nanoTime() - start) / 1e9);
        }
    }
}
