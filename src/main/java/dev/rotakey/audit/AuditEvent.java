package dev.rotakey.audit;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One append-only audit record: when, who, what, on which subject, with which outcome, tied to
 * the other events of the same operation by a correlation id, and the node that recorded it ({@code node}, its
 * {@code scheduler.instanceId}; null for events recorded before nodes were named). Never holds secret material.
 * Its values are cut to what the database stores (the instant to microseconds, the texts to their columns' lengths)
 * as it is made, so that the hash chained over the event ({@link ChainLink}) is the hash of the row read back.
 */
public record AuditEvent(
        long id,
        Instant at,
        String actor,
        String action,
        String subject,
        String outcome,
        String correlationId,
        String details,
        String node) {
    public AuditEvent {
        at = at == null ? null : at.truncatedTo(ChronoUnit.MICROS);
        actor = truncate(actor, 256);
        subject = truncate(subject, 512);
        details = truncate(details, 4000);
        node = truncate(node, 64);
    }

    /** Whether the outcome is a refusal or a failure ({@code denied}, {@code failed}, {@code error}). */
    public boolean failed() {
        return "denied".equals(outcome) || "failed".equals(outcome) || "error".equals(outcome);
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
