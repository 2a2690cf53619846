package dev.rotakey.metrics;

import dev.rotakey.service.ApiKeyVerifier;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts API key verifications by result; a {@code revoked}, {@code failed} or {@code decommissioned} result means a key that
 * should be out of use was presented (it may have leaked), which the RotakeyRevokedCredentialPresented
 * rule alerts on.
 */
public final class ApiKeyVerificationMetrics implements ApiKeyVerifier.Results {
    /** Every result the verifier reports; anything else is counted as {@code other}, keeping the label bounded. */
    static final List<String> RESULTS = List.of("valid", "malformed", "unknown", "unavailable", "revoked", "failed",
            "pending", "decommissioned", "expired", "suspended", "scope");

    /** Each result's series, looked up once: a verification only increments. */
    private final Map<String, CounterDataPoint> byResult = new HashMap<>();
    private final CounterDataPoint other;

    public ApiKeyVerificationMetrics(PrometheusRegistry registry) {
        Counter verifications = Counter.builder().name("rotakey_api_key_verifications_total")
                .help("API keys presented to the verify endpoint, by result (valid, malformed, unknown, unavailable, "
                        + "or the refused version's state: revoked, failed, pending; or decommissioned, expired (the "
                        + "ephemeral agent's expiry passed), suspended, scope)")
                .labelNames("result").register(registry);
        // Zero series from the start: increase() then sees the very first revoked key presented.
        RESULTS.forEach(r -> byResult.put(r, verifications.labelValues(r)));
        other = verifications.labelValues("other");
    }

    @Override
    public void verified(String result) {
        byResult.getOrDefault(result, other).inc();
    }
}
