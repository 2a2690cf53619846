package dev.rotakey.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * When an agent's owner must re-attest it, and where it stands now: the pure rule behind the attestation endpoint,
 * the deadline sweep, the alerts and the posture report. The deadline is the last attestation (or the agent's creation)
 * plus the agent's own {@code attestEvery}, else the configured one; none when neither is set. An ephemeral agent whose
 * expiry comes first is never asked: it keeps its own expiry.
 *
 * @param every   the configured interval, null when attestation is not required by default
 * @param warning how long before the deadline the owner is warned
 */
public record AttestationPolicy(Duration every, Duration warning) {
    /** Where an agent stands. */
    public enum State {
        /** No interval applies, or the agent expires before its deadline. */
        NOT_REQUIRED,
        /** Attested within its interval, outside the warning. */
        CURRENT,
        /** Within the warning before the deadline. */
        DUE,
        /** Past the deadline. */
        OVERDUE,
        /** Past the deadline and suspended for it. */
        SUSPENDED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** An agent's state and deadline ({@code dueAt} null when not required). */
    public record Standing(State state, Instant dueAt, Duration every) {
    }

    /** Attestation off: nothing is ever due. */
    public static final AttestationPolicy OFF = new AttestationPolicy(null, Duration.ZERO);

    /** The interval that applies to an agent: its own, else the policy's; null when none. */
    public Duration everyFor(Attestation a) {
        return a.attestEvery() != null ? a.attestEvery() : every;
    }

    /** Where {@code agent} stands at {@code now}. */
    public Standing standing(Agent agent, Attestation a, Instant now) {
        Duration interval = everyFor(a);
        if (interval == null || !agent.active()) {
            return new Standing(State.NOT_REQUIRED, null, interval);
        }
        Instant dueAt = (a.attestedAt() != null ? a.attestedAt() : agent.createdAt()).plus(interval);
        if (agent.expiresAt() != null && !agent.expiresAt().isAfter(dueAt)) {
            return new Standing(State.NOT_REQUIRED, null, interval);
        }
        if (a.suspended()) {
            return new Standing(State.SUSPENDED, dueAt, interval);
        }
        if (!now.isBefore(dueAt)) {
            return new Standing(State.OVERDUE, dueAt, interval);
        }
        return new Standing(now.isBefore(dueAt.minus(warning)) ? State.CURRENT : State.DUE, dueAt, interval);
    }
}
