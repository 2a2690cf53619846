package dev.rotakey.posture;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** What a posture finding is about, by its wire name ({@code rotation-overdue}), with its usual severity. */
public enum FindingKind {
    AGENT_SUSPENDED(Severity.HIGH),
    ATTESTATION_OVERDUE(Severity.HIGH),
    ATTESTATION_DUE(Severity.LOW),
    ROTATION_OVERDUE(Severity.HIGH),
    NEVER_ROTATED(Severity.MEDIUM),
    CERTIFICATE_VALIDITY(Severity.MEDIUM),
    UNUSED(Severity.LOW),
    NEVER_VERIFIED(Severity.LOW),
    /** Medium while the previous version waits; high once it was revoked before they acknowledged. */
    UNACKNOWLEDGED(Severity.MEDIUM),
    PREVIOUS_IN_USE(Severity.HIGH),
    TOO_MANY_CREDENTIALS(Severity.LOW),
    TOKEN_UNUSED(Severity.MEDIUM),
    TOKEN_TOO_BROAD(Severity.MEDIUM),
    REVOCATION_FAILED(Severity.CRITICAL);

    private final Severity severity;

    FindingKind(Severity severity) {
        this.severity = severity;
    }

    public Severity severity() {
        return severity;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
