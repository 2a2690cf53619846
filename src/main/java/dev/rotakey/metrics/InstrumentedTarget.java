package dev.rotakey.metrics;

import dev.rotakey.target.Delivery;
import dev.rotakey.target.Revocation;
import dev.rotakey.target.Target;
import dev.rotakey.target.TargetBinding;
import dev.rotakey.target.TargetException;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Set;

/**
 * A target that times its deliver, verify, revoke and discard calls and counts their failures
 * by whether a retry may help, delegating everything to the real target.
 */
public final class InstrumentedTarget implements Target {

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

    private final Target delegate;
    private final Metrics metrics;

    public InstrumentedTarget(Target delegate, Metrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    /** The target this one instruments. */
    public Target delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public String type() {
        return delegate.type();
    }

    @Override
    public void validateBinding(TargetBinding binding) {
        delegate.validateBinding(binding);
    }

    @Override
    public Set<Character> refusedCharacters(TargetBinding binding) {
        return delegate.refusedCharacters(binding);
    }

    @Override
    public String materialReference(Delivery delivery) {
        return delegate.materialReference(delivery);
    }

    @Override
    public java.util.List<String> claims(TargetBinding binding) {
        return delegate.claims(binding);
    }

    @Override
    public String login(TargetBinding binding, String credentialId, dev.rotakey.target.VersionReferences version) {
        return delegate.login(binding, credentialId, version);
    }

    @Override
    public void deliver(Delivery delivery) {
        timed("deliver", () -> delegate.deliver(delivery));
    }

    @Override
    public void verify(Delivery delivery) {
        timed("verify", () -> delegate.verify(delivery));
    }

    @Override
    public void revoke(Revocation revocation) {
        timed("revoke", () -> delegate.revoke(revocation));
    }

    @Override
    public void discard(Revocation revocation) {
        timed("discard", () -> delegate.discard(revocation));
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }

    private void timed(String operation, Runnable call) {
        long start = System.nanoTime();
        try {
            call.run();
        } catch (RuntimeException e) {
            // Anything but a TargetException is a bug in the target: the workflow treats it as not retryable.
            boolean retryable = e instanceof TargetException t && t.retryable();
            metrics.errors.labelValues(delegate.name(), delegate.type(), operation, Boolean.toString(retryable)).inc();
            throw e;
        } finally {
            metrics.duration.labelValues(delegate.name(), delegate.type(), operation)
                    .observe((System.nanoTime() - start) / 1e9);
        }
    }
}
