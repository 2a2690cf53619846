package dev.rotakey.alert.sink;

import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertCondition;
import dev.rotakey.alert.AlertStatus;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Alerts as the evaluator makes them, for the sinks' tests. */
final class SampleAlerts {
    private SampleAlerts() {
    }

    /** A firing rotation failure of {@code credential}, started at {@code startsAt}. */
    static Alert rotationFailed(String credential, Instant startsAt) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("alertname", AlertCondition.ROTATION_FAILED.alertName());
        labels.put("severity", AlertCondition.ROTATION_FAILED.severity().wireName());
        labels.put("owner", "team-billing@example.com");
        labels.put("agent", "billing-agent");
        labels.put("credential", credential);
        labels.put("backend", "hsm");
        return new Alert("rotation-failed:" + credential, AlertCondition.ROTATION_FAILED, AlertStatus.FIRING, labels,
                "Rotation of " + credential + " failed",
                "Rotation 42 failed after 5 attempts: target 'billing-db' answered HTTP 503. Version 3 is still current.",
                startsAt, null);
    }

    /** A firing key backend outage: an alert about Rotakey itself, without agent or credential. */
    static Alert backendUnhealthy(Instant startsAt) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("alertname", AlertCondition.KEY_BACKEND_UNHEALTHY.alertName());
        labels.put("severity", AlertCondition.KEY_BACKEND_UNHEALTHY.severity().wireName());
        labels.put("owner", "rotakey-operators");
        labels.put("backend", "vault");
        return new Alert("key-backend-unhealthy:vault", AlertCondition.KEY_BACKEND_UNHEALTHY, AlertStatus.FIRING,
                labels, "Key backend vault is unhealthy", "Vault answered HTTP 503 to the health check.", startsAt, null);
    }
}
