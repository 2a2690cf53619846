package dev.rotakey.metrics;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendAuthenticationException;
import dev.rotakey.backend.pkcs11.Pkcs11KeyBackendContractIT;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The instrumented key backend on a real SoftHSM2 token: it honours the whole key backend contract
 * (it delegates everything), and times and counts what it delegates.
 */
class InstrumentedKeyBackendIT extends Pkcs11KeyBackendContractIT {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final InstrumentedKeyBackend.Metrics metrics = new InstrumentedKeyBackend.Metrics(registry);

    @Override
    protected KeyBackend newBackend() {
        return new InstrumentedKeyBackend(super.newBackend(), metrics);
    }

    @Override
    protected KeyBackend offlineBackend() {
        return new InstrumentedKeyBackend(super.offlineBackend(), metrics);
    }

    @Test
    void eachKeyOperationIsTimedByBackendAndOperation() {
        KeyBackend backend = started();
        String alias = "rotakey-metrics-test-" + UUID.randomUUID();
        try {
            backend.randomBytes(32);
            backend.hmac(new byte[]{1});
            backend.hmac(new byte[]{2});
            backend.createSigningKey(alias, KeySpec.EC_P256);
            assertThat(backend.signingKey(alias)).isPresent();
        } finally {
            backend.destroySigningKey(alias);
        }

        Samples s = Samples.of(registry);
        String d = "rotakey_key_backend_operation_duration_seconds_count";
        assertThat(s.value(d, "backend", "hsm", "operation", "random_bytes")).isEqualTo(1);
        assertThat(s.value(d, "backend", "hsm", "operation", "hmac")).isEqualTo(2);
        assertThat(s.value(d, "backend", "hsm", "operation", "create_signing_key")).isEqualTo(1);
        assertThat(s.value(d, "backend", "hsm", "operation", "signing_key")).isEqualTo(1);
        assertThat(s.value(d, "backend", "hsm", "operation", "destroy_signing_key")).isEqualTo(1);
        assertThat(s.value("rotakey_key_backend_operation_duration_seconds_sum", "backend", "hsm", "operation", "hmac"))
                .isPositive();
        assertThat(s.matching("rotakey_key_backend_operation_errors_total")).isEmpty();
    }

    @Test
    void failuresOfAnOfflineBackendAreCountedAsUnavailableAndStillTimed() {
        KeyBackend offline = offlineBackend();
        offline.start();
        try {
            assertThatThrownBy(() -> offline.hmac(new byte[]{1})).isInstanceOf(KeyBackendUnavailableException.class);
            assertThatThrownBy(() -> offline.randomBytes(8)).isInstanceOf(KeyBackendUnavailableException.class);
        } finally {
            offline.close();
        }

        Samples s = Samples.of(registry);
        assertThat(s.value("rotakey_key_backend_operation_errors_total", "backend", "hsm", "operation", "hmac",
                "kind", "unavailable")).isEqualTo(1);
        assertThat(s.value("rotakey_key_backend_operation_errors_total", "backend", "hsm", "operation", "random_bytes",
                "kind", "unavailable")).isEqualTo(1);
        assertThat(s.value("rotakey_key_backend_operation_duration_seconds_count", "backend", "hsm", "operation", "hmac"))
                .isEqualTo(1);
        // A bounded label, never the message (which names tokens and keys).
        assertThat(s.text()).doesNotContain("rotakey-no-such-token");
    }

    @Test
    void errorKindsAreBoundedAndFollowTheRetryClassification() {
        assertThat(InstrumentedKeyBackend.kind(new KeyBackendUnavailableException("token gone"))).isEqualTo("unavailable");
        assertThat(InstrumentedKeyBackend.kind(new KeyBackendAuthenticationException("PIN rejected")))
                .isEqualTo("authentication");
        assertThat(InstrumentedKeyBackend.kind(new KeyBackendException("alias exists"))).isEqualTo("other");
        assertThat(InstrumentedKeyBackend.kind(new IllegalStateException("bug"))).isEqualTo("other");
    }

    @Test
    void aDuplicateAliasIsCountedAsAnOtherError() {
        KeyBackend backend = started();
        String alias = "rotakey-metrics-dup-" + UUID.randomUUID();
        try {
            backend.createSigningKey(alias, KeySpec.EC_P256);
            assertThatThrownBy(() -> backend.createSigningKey(alias, KeySpec.EC_P256)).isInstanceOf(KeyBackendException.class);
        } finally {
            backend.destroySigningKey(alias);
        }
        assertThat(Samples.of(registry).value("rotakey_key_backend_operation_errors_total", "backend", "hsm",
                "operation", "create_signing_key", "kind", "other")).isEqualTo(1);
    }
}
