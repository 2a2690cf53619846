package dev.rotakey.core;

import java.time.Duration;
import java.time.Instant;

/**
 * An agent's re-certification by its owner as stored: its own {@code attestEvery} when it overrides the configured
 * policy (null: the policy's), the last attestation (null: never, the agent's creation counts), its suspension at a
 * deadline (null: not suspended), and an ownership transfer waiting for the new owner's attestation (null: none).
 */
public record Attestation(String agentId, Duration attestEvery, Instant attestedAt, String attestedBy,
                          Instant suspendedAt, String pendingOwner, Instant pendingOwnerSince) {
    public boolean suspended() {
        return suspendedAt != null;
    }

    /** No attestation recorded: what an agent created before governance, or just now, has. */
    public static Attestation none(String agentId) {
        return new Attestation(agentId, null, null, null, null, null, null);
    }
}
