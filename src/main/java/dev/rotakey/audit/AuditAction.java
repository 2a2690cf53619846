package dev.rotakey.audit;

/** Every kind of event the audit trail records, with its stable wire name. */
public enum AuditAction {
    AGENT_CREATED("agent.created"),
    AGENT_DECOMMISSIONED("agent.decommissioned"),
    CREDENTIAL_CREATED("credential.created"),
    CREDENTIAL_DECOMMISSIONED("credential.decommissioned"),
    /** A credential was changed (PATCH): before, after and the list of changes, never a secret. */
    CREDENTIAL_CHANGED("credential.changed"),
    /** A credential was retired on its own (DELETE): its versions revoked, their removal from the targets follows. */
    CREDENTIAL_RETIRED("credential.retired"),
    /** A credential was created with an existing secret as version 1 (its digest only is kept). */
    CREDENTIAL_IMPORTED("credential.imported"),
    ROTATION_STARTED("rotation.started"),
    ROTATION_STEP("rotation.step"),
    ROTATION_MATERIAL_RECREATED("rotation.material-recreated"),
    ROTATION_SUCCEEDED("rotation.succeeded"),
    ROTATION_FAILED("rotation.failed"),
    VERSION_PROMOTED("version.promoted"),
    VERSION_REVOKED("version.revoked"),
    VERSION_REVOCATION_FAILED("version.revocation-failed"),
    VERSION_ACKNOWLEDGED("version.acknowledged"),
    VERSION_REVOKED_UNACKNOWLEDGED("version.revoked-unacknowledged"),
    ROTATIONS_PAUSED("rotations.paused"),
    ROTATIONS_RESUMED("rotations.resumed"),
    OPERATOR_ROTATE("operator.rotate"),
    OPERATOR_REVOKE("operator.revoke"),
    OPERATOR_DECOMMISSION("operator.decommission"),
    BATCH_FINISHED("batch.finished"),
    BATCH_TAKEN_OVER("batch.taken-over"),
    AUTH_FAILED("auth.failed"),
    AUTH_LOCKED_OUT("auth.locked-out"),
    API_KEY_REVOKED_PRESENTED("api-key.revoked-presented"),
    TOKEN_CREATED("token.created"),
    TOKEN_REVOKED("token.revoked"),
    TOKEN_ROTATED("token.rotated"),
    AUTH_FORBIDDEN("auth.forbidden"),
    CA_CREATED("ca.created"),
    CA_ROTATED("ca.rotated"),
    CA_RETIRED("ca.retired"),
    CERTIFICATE_ISSUED("certificate.issued"),
    CERTIFICATE_REVOKED("certificate.revoked"),
    ALERT_FIRING("alert.firing"),
    ALERT_RESOLVED("alert.resolved"),
    /** A binding's action after a promotion (a reload hook) ran. */
    TARGET_PROMOTION_ACTION("target.promotion-action"),
    /** A binding's action after a promotion failed: the version stays CURRENT, the consumer may not know. */
    TARGET_PROMOTION_ACTION_FAILED("target.promotion-action-failed"),
    /** An agent's owner (or an operator) re-certified it: who and when. */
    AGENT_ATTESTED("agent.attested"),
    /** An agent passed its attestation deadline under {@code onAttestationDeadline: decommission}: it is decommissioned. */
    AGENT_ATTESTATION_OVERDUE("agent.attestation-overdue"),
    /** An agent passed its attestation deadline and was suspended: scheduled rotations stop and its keys are refused. */
    AGENT_SUSPENDED("agent.suspended"),
    /** A suspended agent was re-attested and is active again. */
    AGENT_RESUMED("agent.resumed"),
    /** An agent was changed (owner, attributes, attestation policy): before and after, never a secret. */
    AGENT_CHANGED("agent.changed"),
    /** An ownership transfer was asked for and waits for the new owner's attestation. */
    AGENT_TRANSFER_REQUESTED("agent.transfer-requested"),
    /** A key lacking a scope the relying service required was presented: a denied use. */
    API_KEY_SCOPE_DENIED("api-key.scope-denied"),
    /** A key of a suspended agent was presented: a denied use. */
    API_KEY_SUSPENDED_PRESENTED("api-key.suspended-presented"),
    /** A credential was used unusually: above its baseline, by a new relying service or network, too late. */
    USAGE_ANOMALY("usage.anomaly"),
    /** The posture report found a problem (recorded once per finding while it persists). */
    POSTURE_FINDING("posture.finding");

    private final String wireName;

    AuditAction(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
