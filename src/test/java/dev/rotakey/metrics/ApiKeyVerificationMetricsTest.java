package dev.rotakey.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The verification counter: every known result starts at zero, and the label stays bounded. */
class ApiKeyVerificationMetricsTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ApiKeyVerificationMetrics metrics = new ApiKeyVerificationMetrics(registry);

    @Test
    void everyResultStartsAtZeroSoThatTheFirstRevokedKeyIsAnIncrease() {
        Samples s = Samples.of(registry);
        for (String result : ApiKeyVerificationMetrics.RESULTS) {
            assertThat(s.value("rotakey_api_key_verifications_total", "result", result)).as(result).isZero();
        }
    }

    @Test
    void resultsAreCountedAndAnythingUnforeseenIsOther() {
        metrics.verified("valid");
        metrics.verified("valid");
        metrics.verified("revoked");
        metrics.verified("rk_SomethingThatShouldNeverBeALabel");
        Samples s = Samples.of(registry);
        assertThat(s.value("rotakey_api_key_verifications_total", "result", "valid")).isEqualTo(2);
        assertThat(s.value("rotakey_api_key_verifications_total", "result", "revoked")).isEqualTo(1);
        assertThat(s.value("rotakey_api_key_verifications_total", "result", "other")).isEqualTo(1);
        assertThat(s.text()).doesNotContain("rk_Something");
    }
}
