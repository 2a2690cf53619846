package dev.rotakey.core;

/** Why a version was revoked or discarded. */
public enum RevocationReason {
    /** Its grace period after being superseded ran out. */
    SUPERSEDED,
    /** An operator's emergency revoke. */
    EMERGENCY,
    /** Its agent was decommissioned. */
    DECOMMISSIONED,
    /** Its rotation failed before promotion. */
    ROTATION_FAILED
}
