package dev.rotakey.metrics;

import dev.rotakey.service.ApiKeyVerifier;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.List;

/**
 * Counts API key verifications by result; a {@code revoked}, {@code failed} or {@code decommissioned} result means a key that
 * should be out of use was presented (it may have leaked), which the RotakeyRevokedCredentialPresented
 * rule alerts on.
 */
public final class ApiKeyVerificationMetrics implements ApiKeyVerifier.Results {
    /** Every result the verifier reports; anything else is counted as {@code other}, keeping the label bounded. */
    static final List<String> RESULTS = List.of("valid", "malformed", "unknown", "unavailable", "revoked", "failed",
            "pending", "decommissioned");

    private final Counter verifications;

    public ApiKeyVerificationMetrics(PrometheusRegistry registry) {
        verifications = Counter.builder().name("rotakey_api_key_verifications_total")
                .help("API keys presented to the verify endpoint, by result (valid, malformed, unknown, unavailable, "
                        + "or the refused version's state: revoked, failed, pending; or decommissioned)")
                .labelNames("result").register(registry);
        // Zero series from the start: increase() then sees the very first revoked key presented.
        RESULTS.forEach(verifications::labelValues);
        verifications.labelValues("other");
    }

    @Override
    public void verified(String result) {
        verifications.labelValues(RESULTS.contains(result) ? result : "other").inc();
    }
}
