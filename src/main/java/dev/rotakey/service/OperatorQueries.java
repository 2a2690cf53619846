package dev.rotakey.service;

import dev.rotakey.api.AlertView;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.db.Store;

import java.util.List;

/** The operator's read-only views of the database: the audit trail and the alerts firing now. */
public final class OperatorQueries {
    private final Store store;

    public OperatorQueries(Store store) {
        this.store = store;
    }

    /**
     * Audit events newest first with ids below {@code beforeId}, optionally about one subject (and what lies
     * under it) or one correlation id.
     */
    public List<AuditEvent> auditEvents(String subject, String correlationId, long beforeId, int limit) {
        return store.read(d -> d.audit().list(subject, correlationId, beforeId, limit));
    }

    /** The alerts firing as of the last evaluation, oldest first. */
    public List<AlertView> firingAlerts() {
        return store.read(d -> d.alerts().firing()).stream().map(AlertView::of).toList();
    }
}
