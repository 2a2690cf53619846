package dev.rotakey.batch;

import java.time.Instant;

/**
 * One credential of a batch and what the batch did with it. {@code rotationId} names the rotation it started, or
 * the running one it found; {@code rotationState} and {@code rotationStep} are that rotation's, read with the item.
 *
 * @param reason why an item was skipped, as a short code ({@code already-rotating}, {@code decommissioned}, …)
 */
public record BatchItem(String batchId, int itemNo, String credentialId, Outcome outcome, String reason,
                        String rotationId, String detail, Instant updatedAt, String rotationState, String rotationStep) {

    /** What became of one credential of a batch. */
    public enum Outcome {
        /** Not reached yet. */
        PENDING,
        /** A rotation was started. */
        STARTED,
        /** Its revocations are done: nothing of it is left at a target. */
        DONE,
        /** Left alone, for the {@code reason} given (already rotating, decommissioned, gone). */
        SKIPPED,
        /** The work failed; {@code detail} says why. */
        FAILED
    }
}
