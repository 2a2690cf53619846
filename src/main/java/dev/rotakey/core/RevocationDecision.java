package dev.rotakey.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Whether a PREVIOUS version may be revoked now, free of I/O: after its grace period, and, for a
 * credential that waits for acknowledgements, once every consumer has acknowledged the new CURRENT
 * version or the maximum grace period since the promotion has run out.
 *
 * @param outcome   what to do now
 * @param checkAgainAt when {@link Outcome#WAIT}, the instant at which the decision may change without an ack
 * @param missing   the consumers that have not acknowledged (empty unless waiting for acks or overdue)
 */
public record RevocationDecision(Outcome outcome, Instant checkAgainAt, List<String> missing) {

    public enum Outcome {
        /** Not yet: grace is running, or consumers have still to acknowledge. */
        WAIT,
        /** Revoke: grace is over and nobody else needs to be waited for. */
        REVOKE,
        /** Revoke although consumers have not acknowledged: the maximum grace period is over. */
        REVOKE_UNACKNOWLEDGED
    }

    public RevocationDecision {
        missing = List.copyOf(missing);
    }

    /**
     * @param revokeAfter  the PREVIOUS version's end of grace (null: not yet known, wait)
     * @param supersededAt when the version that replaced it was promoted
     * @param policy       null when the credential revokes on grace alone
     * @param acknowledged the consumers that have acknowledged the new CURRENT version
     */
    public static RevocationDecision decide(Instant revokeAfter, Instant supersededAt, AcknowledgementPolicy policy,
                                            Set<String> acknowledged, Instant now) {
        if (revokeAfter == null || now.isBefore(revokeAfter)) {
            return new RevocationDecision(Outcome.WAIT, revokeAfter, List.of());
        }
        if (policy == null) {
            return new RevocationDecision(Outcome.REVOKE, null, List.of());
        }
        List<String> missing = new ArrayList<>();
        for (String consumer : policy.consumers()) {
            if (!acknowledged.contains(consumer)) {
                missing.add(consumer);
            }
        }
        if (missing.isEmpty()) {
            return new RevocationDecision(Outcome.REVOKE, null, List.of());
        }
        Instant deadline = deadline(revokeAfter, supersededAt, policy.maxGracePeriod());
        if (!now.isBefore(deadline)) {
            return new RevocationDecision(Outcome.REVOKE_UNACKNOWLEDGED, null, missing);
        }
        return new RevocationDecision(Outcome.WAIT, deadline, missing);
    }

    /**
     * The latest instant the version may live: promotion plus the maximum grace period, never earlier
     * than the end of the grace period (an emergency promotion has no grace and so no waiting).
     */
    static Instant deadline(Instant revokeAfter, Instant supersededAt, Duration maxGrace) {
        if (supersededAt == null) {
            return revokeAfter;
        }
        Instant deadline = supersededAt.plus(maxGrace);
        return deadline.isBefore(revokeAfter) ? revokeAfter : deadline;
    }
}
