package dev.rotakey.service;

import dev.rotakey.core.RejectedException;
import dev.rotakey.schedule.JobHandler;

/** Connects the scheduler's triggers to the services that do the work. */
public final class ScheduledWork implements JobHandler {
    private final RotationService rotations;
    private final RevocationService revocations;
    private final DueRotations due;

    public ScheduledWork(RotationService rotations, RevocationService revocations, DueRotations due) {
        this.rotations = rotations;
        this.revocations = revocations;
        this.due = due;
    }

    /** Rotations due together start together ({@link DueRotations}); while it takes none, each starts here. */
    @Override
    public void rotationDue(String credentialId) {
        if (!due.offer(credentialId)) {
            rotations.onScheduledRotation(credentialId);
        }
    }

    @Override
    public void continueRotation(String rotationId) {
        rotations.continueRotation(rotationId);
    }

    @Override
    public void revocationDue(String credentialId, int version) {
        revocations.revokeDue(credentialId, version);
    }

    @Override
    public void agentExpired(String agentId) {
        try {
            rotations.decommission(agentId, "expiry");
        } catch (RejectedException e) {
            // The agent was deleted or never existed: nothing left to expire.
        }
    }
}
