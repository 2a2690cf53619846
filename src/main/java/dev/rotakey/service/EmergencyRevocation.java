package dev.rotakey.service;

import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.WorkScheduler;

import java.time.Clock;
import java.util.List;

/**
 * An operator's emergency revocation in two halves: {@link #begin} does what must hold when the operator gets an
 * answer — the emergency rotation started (or the running one escalated) and ahead of any queue, every PREVIOUS
 * version REVOKED so that Rotakey refuses it — and {@link #finish} removes the revoked versions from the targets.
 * ({@link RotationService#emergencyRevoke} does both in the caller's thread.)
 */
public final class EmergencyRevocation {
    /** What {@link #begin} did: the emergency's rotation and the versions it revoked. */
    public record Begun(Rotation rotation, List<Integer> revoked) {
    }

    private final RotationService rotations;
    private final RevocationService revocations;
    private final WorkScheduler scheduler;
    private final Clock clock;

    public EmergencyRevocation(RotationService rotations, RevocationService revocations, WorkScheduler scheduler,
                               Clock clock) {
        this.rotations = rotations;
        this.revocations = revocations;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /**
     * Starts or escalates the emergency rotation, revokes the PREVIOUS versions (their removal pending), and
     * schedules the rotation ahead of work already waiting, such as a mass rotation's.
     *
     * @throws RejectedException when the credential does not exist, is decommissioned, or is cleaning up
     */
    public Begun begin(String credentialId, String actor) {
        Rotation r = rotations.startEmergency(credentialId, actor);
        List<Integer> revoked = revocations.markPreviousRevoked(credentialId, RevocationReason.EMERGENCY, actor);
        scheduler.continueRotationFirst(r.id(), clock.instant());
        return new Begun(r, revoked);
    }

    /**
     * Removes what the emergency revoked from every target (and any other removal of the credential still
     * outstanding).
     *
     * @return whether nothing is left; a removal that failed is recorded and retried until it succeeds (I4)
     */
    public boolean finish(String credentialId, String actor) {
        return revocations.finishRemovals(credentialId, actor);
    }
}
