package dev.rotakey.alert;

import java.util.Locale;

/**
 * The conditions Rotakey alerts on by itself, each with the {@code alertname} it carries to
 * Alertmanager (and that {@code config/prometheus/rotakey-rules.yml} mirrors) and its severity.
 */
public enum AlertCondition {
    /** A credential's latest rotation FAILED after its retries; the old version is still CURRENT. */
    ROTATION_FAILED("RotakeyRotationFailed", AlertSeverity.CRITICAL),
    /** Removing a superseded, revoked or failed version from a target failed and is still being retried. */
    REVOCATION_FAILED("RotakeyRevocationFailed", AlertSeverity.WARNING),
    /** A rotation was due and has not succeeded within the tolerance: the dead-man alert. */
    CREDENTIAL_OVERDUE("RotakeyCredentialOverdue", AlertSeverity.CRITICAL),
    /** A current certificate (or a CA's own certificate) expires within the warning threshold. */
    CREDENTIAL_EXPIRING("RotakeyCredentialExpiring", AlertSeverity.WARNING),
    /** A key backend is offline: nothing that needs it can rotate. */
    KEY_BACKEND_UNHEALTHY("RotakeyKeyBackendUnhealthy", AlertSeverity.CRITICAL),
    /** A revoked or superseded API key was presented to the verify endpoint: it may have leaked. */
    REVOKED_CREDENTIAL_PRESENTED("RotakeyRevokedCredentialPresented", AlertSeverity.CRITICAL),
    /** A SIEM stream's oldest undelivered audit event is older than the stream's {@code lagAlertAfter}. */
    AUDIT_STREAM_LAGGING("RotakeyAuditStreamLagging", AlertSeverity.WARNING),
    /** What a binding runs after a promotion (a reload hook) failed: the consumer may still use the previous version. */
    RELOAD_HOOK_FAILED("RotakeyReloadHookFailed", AlertSeverity.WARNING),
    /** An agent's owner must re-attest it within {@code governance.attestWarning}. */
    ATTESTATION_DUE("RotakeyAttestationDue", AlertSeverity.WARNING),
    /** An agent's attestation deadline passed: it is suspended or decommissioned, or will be, as configured. */
    ATTESTATION_OVERDUE("RotakeyAttestationOverdue", AlertSeverity.CRITICAL),
    /**
     * A credential was used unusually (a spike, a new relying service or network, a PREVIOUS version still presented
     * shortly before its revocation): worth a look by its owner, not proof of compromise, hence a warning.
     */
    USAGE_ANOMALY("RotakeyUsageAnomaly", AlertSeverity.WARNING);

    private final String alertName;
    private final AlertSeverity severity;

    AlertCondition(String alertName, AlertSeverity severity) {
        this.alertName = alertName;
        this.severity = severity;
    }

    /** The {@code alertname} label. */
    public String alertName() {
        return alertName;
    }

    public AlertSeverity severity() {
        return severity;
    }

    /** {@code rotation-failed}, … as in fingerprints, the webhook body and metrics labels. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
