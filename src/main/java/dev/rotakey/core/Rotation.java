package dev.rotakey.core;

import java.time.Instant;

/**
 * One run of the rotation workflow for one credential: what started it, the step it will run
 * next, how many attempts that step has had, and how it ended.
 */
public record Rotation(
        String id,
        String credentialId,
        int version,
        RotationTrigger trigger,
        String actor,
        RotationState state,
        RotationStep step,
        int attempts,
        Instant nextAttemptAt,
        String lastError,
        boolean emergency,
        String correlationId,
        Instant startedAt,
        Instant updatedAt,
        Instant finishedAt) {

    Rotation advance(RotationStep nextStep, RotationState nextState, int nextAttempts, Instant nextAttempt,
                     String error, Instant now) {
        return new Rotation(id, credentialId, version, trigger, actor, nextState, nextStep, nextAttempts, nextAttempt,
                error, emergency, correlationId, startedAt, now, nextState.terminal() ? now : null);
    }

    /** Whether the step may run at {@code now}, or must wait for its backoff. */
    public boolean runnableAt(Instant now) {
        return state == RotationState.RUNNING && (nextAttemptAt == null || !now.isBefore(nextAttemptAt));
    }
}
