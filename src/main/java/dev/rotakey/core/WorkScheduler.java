package dev.rotakey.core;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;

/**
 * When deferred work runs: the next rotation of a credential, the continuation of a rotation
 * waiting for its backoff, a revocation at the end of a grace period, an agent's expiry. The
 * database holds what is to be done; the scheduler only holds when. Every method replaces an
 * earlier schedule of the same work, so calling it twice is harmless.
 */
public interface WorkScheduler {
    void rotateAt(String credentialId, Instant at);

    /**
     * {@link #rotateEventually} for many credentials (credential id to time, which the database holds); a scheduler
     * may store them all at once.
     */
    default void rotateAllAt(Map<String, Instant> atByCredential) {
        atByCredential.forEach(this::rotateAt);
    }

    void continueRotationAt(String rotationId, Instant at);

    /**
     * {@link #continueRotationAt}, ahead of other work already due (an emergency's rotation never waits behind a
     * mass rotation's). A scheduler without such an order simply schedules it.
     */
    default void continueRotationFirst(String rotationId, Instant at) {
        continueRotationAt(rotationId, at);
    }

    /**
     * Makes sure the rotation will continue, at {@code at} at the latest: what a starting node asks for each
     * rotation in flight. On a cluster, a rotation that already has its continuation scheduled or running (on
     * another node, or to be recovered from a dead one) keeps it, rather than being started twice.
     */
    default void resumeRotation(String rotationId, Instant at) {
        continueRotationAt(rotationId, at);
    }

    void revokeAt(String credentialId, int version, Instant at);

    /**
     * {@link #rotateAt} for a time the database already holds ({@code credentials.next_rotation_at}): a scheduler
     * may store it a moment later, in the background, or only once it comes near, since its reconciliation creates
     * from the database what it lacks, and a trigger found stale when it fires follows the database.
     */
    default void rotateEventually(String credentialId, Instant at) {
        rotateAt(credentialId, at);
    }

    /** {@link #revokeAt} for a PREVIOUS version's {@code revoke_after}, which the database holds: as above. */
    default void revokeEventually(String credentialId, int version, Instant at) {
        revokeAt(credentialId, version, at);
    }

    void decommissionAt(String agentId, Instant at);

    /** Drops the credential's next rotation. */
    void forgetCredential(String credentialId);

    /** Drops the next rotation of each credential; a scheduler that can drops them together. */
    default void forgetAll(Collection<String> credentialIds) {
        credentialIds.forEach(this::forgetCredential);
    }
}
