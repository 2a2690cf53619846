package dev.rotakey.db;

import dev.rotakey.audit.AuditEvent;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.SqlStatement;

import java.util.List;

import static dev.rotakey.db.AgentDao.instant;

/** Appends to and reads the audit trail. There is no update or delete. */
public final class AuditDao {
    static final RowMapper<AuditEvent> MAPPER = (rs, ctx) -> new AuditEvent(
            rs.getLong("id"),
            instant(rs.getTimestamp("at")),
            rs.getString("actor"),
            rs.getString("action"),
            rs.getString("subject"),
            rs.getString("outcome"),
            rs.getString("correlation_id"),
            rs.getString("details"),
            rs.getString("node"));

    private static final String INSERT = "INSERT INTO audit_events (at, actor, action, subject, outcome, "
            + "correlation_id, details, node) VALUES (:at, :actor, :action, :subject, :outcome, :correlationId, :details, :node)";

    private final Handle h;

    AuditDao(Handle h) {
        this.h = h;
    }

    public void append(AuditEvent e) {
        bind(h.createUpdate(INSERT), e).execute();
    }

    /** Appends many events in one batch, in order. */
    public void appendAll(List<AuditEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch(INSERT);
        events.forEach(e -> bind(batch, e).add());
        batch.execute();
    }

    private static <S extends SqlStatement<S>> S bind(S statement, AuditEvent e) {
        return statement
                .bind("at", e.at())
                .bind("actor", truncate(e.actor(), 256))
                .bind("action", e.action())
                .bind("subject", truncate(e.subject(), 512))
                .bind("outcome", e.outcome())
                .bind("correlationId", e.correlationId())
                .bind("details", truncate(e.details(), 4000))
                .bind("node", truncate(e.node(), 64));
    }

    /**
     * Events newest first, optionally only those about {@code subject} (exact, or its
     * sub-subjects such as {@code credential:x/v2}) or of one correlation id, before id {@code beforeId}.
     */
    public List<AuditEvent> list(String subject, String correlationId, long beforeId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_events WHERE id < :before");
        if (subject != null) {
            sql.append(" AND (subject = :subject OR subject LIKE :subjectPrefix)");
        }
        if (correlationId != null) {
            sql.append(" AND correlation_id = :correlation");
        }
        sql.append(" ORDER BY id DESC LIMIT :limit");
        return h.createQuery(sql.toString())
                .bind("before", beforeId)
                .bind("subject", subject)
                .bind("subjectPrefix", subject == null ? null : subject.replace("%", "\\%").replace("_", "\\_") + "/%")
                .bind("correlation", correlationId)
                .bind("limit", limit)
                .map(MAPPER)
                .list();
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
