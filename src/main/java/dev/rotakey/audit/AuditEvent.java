package dev.rotakey.audit;

import java.time.Instant;

/**
 * One append-only audit record: when, who, what, on which subject, with which outcome, tied to
 * the other events of the same operation by a correlation id, and the node that recorded it ({@code node}, its
 * {@code scheduler.instanceId}; null for events recorded before nodes were named). Never holds secret material.
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
}
