package dev.rotakey.metrics;

import dev.rotakey.backend.ForwardingKeyBackend;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendAuthenticationException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A key backend that times its key operations (random bytes, HMAC, signing key creation, look-up
 * and destruction) and counts their failures by kind, forwarding everything else to the real backend.
 */
public final class InstrumentedKeyBackend extends ForwardingKeyBackend {

    /** The metric families shared by every instrumented backend of one registry. */
    public static final class Metrics {
        private final Histogram duration;
        private final Counter errors;

        public Metrics(PrometheusRegistry registry) {
            duration = Histogram.builder().name("rotakey_key_backend_operation_duration_seconds")
                    .help("Time a key backend operation took, failed ones included")
                    .labelNames("backend", "operation").classicOnly().withoutExemplars()
                    .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
                    .register(registry);
            errors = Counter.builder().name("rotakey_key_backend_operation_errors_total")
                    .help("Key backend operations that failed, by kind (unavailable: retried; authentication: "
                            + "refused credentials, not retried; other)")
                    .labelNames("backend", "operation", "kind").register(registry);
        }
    }

    private final Metrics metrics;

    public InstrumentedKeyBackend(KeyBackend delegate, Metrics metrics) {
        super(delegate);
        this.metrics = metrics;
    }

    @Override
    public byte[] randomBytes(int length) {
        return timed("random_bytes", () -> delegate().randomBytes(length));
    }

    @Override
    public byte[] hmac(byte[] data) {
        return timed("hmac", () -> delegate().hmac(data));
    }

    @Override
    public SigningKey createSigningKey(String alias, KeySpec spec) {
        return timed("create_signing_key", () -> delegate().createSigningKey(alias, spec));
    }

    @Override
    public Optional<SigningKey> signingKey(String alias) {
        return timed("signing_key", () -> delegate().signingKey(alias));
    }

    @Override
    public List<String> signingKeyAliases(String prefix) {
        return timed("signing_key_aliases", () -> delegate().signingKeyAliases(prefix));
    }

    @Override
    public void destroySigningKey(String alias) {
        timed("destroy_signing_key", () -> {
            delegate().destroySigningKey(alias);
            return null;
        });
    }

    @Override
    public String toString() {
        return delegate().toString();
    }

    private <T> T timed(String operation, Supplier<T> call) {
        long start = System.nanoTime();
        try {
            return call.get();
        } catch (RuntimeException e) {
            metrics.errors.labelValues(delegate().name(), operation, kind(e)).inc();
            throw e;
        } finally {
            metrics.duration.labelValues(delegate().name(), operation).observe((System.nanoTime() - start) / 1e9);
        }
    }

    /** A bounded label for a failure: never the exception's message, which may name keys. */
    static String kind(RuntimeException e) {
        if (e instanceof KeyBackendUnavailableException) {
            return "unavailable";
        }
        if (e instanceof KeyBackendAuthenticationException) {
            return "authentication";
        }
        return "other";
    }
}
