package dev.rotakey.usage;

import dev.rotakey.audit.AuditSubject;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One detected usage anomaly of a credential (or one of its versions): recorded once per hour as a row of
 * {@code usage_anomalies} and a {@code usage.anomaly} audit event. Identifiers and counts only, never a secret.
 *
 * @param version the version concerned, or null for the credential as a whole
 * @param subject what makes it this anomaly and not another of its kind: the hour of a spike, the new service or
 *                network, the late version
 * @param detail  the counts and baseline, or the new value, for people
 */
public record Anomaly(String credentialId, Integer version, String agentId, String owner, AnomalyKind kind,
                      String subject, String detail, Instant detectedAt) {
    /** The same anomaly is recorded once per hour, by one node of a cluster. */
    public String dedupKey() {
        String key = credentialId + "|" + kind.wireName() + "|" + subject + "|"
                + detectedAt.truncatedTo(ChronoUnit.HOURS);
        return key.length() > 400 ? key.substring(0, 400) : key;
    }

    /** The audit event's subject: the version when one is concerned, else the credential. */
    public String auditSubject() {
        return version == null ? AuditSubject.credential(credentialId) : AuditSubject.version(credentialId, version);
    }
}
