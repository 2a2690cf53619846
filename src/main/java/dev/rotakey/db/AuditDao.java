package dev.rotakey.db;

import dev.rotakey.audit.AuditEvent;
import dev.rotakey.audit.ChainLink;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;

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

    private final Handle h;
    private final PendingAudit pending;

    AuditDao(Handle h, PendingAudit pending) {
        this.h = h;
        this.pending = pending;
    }

    /** Records {@code e}: it is chained and inserted when the transaction commits ({@link PendingAudit}). */
    public void append(AuditEvent e) {
        pendingEvents().add(e);
    }

    /** Records many events, in order. */
    public void appendAll(List<AuditEvent> events) {
        PendingAudit p = pendingEvents();
        events.forEach(p::add);
    }

    private PendingAudit pendingEvents() {
        if (pending == null) {
            throw new IllegalStateException("audit events are recorded in a transaction (Store.tx), not in a read");
        }
        return pending;
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

    /** The chain's head. */
    public AuditChainHead head() {
        return AuditChainHead.read(h);
    }

    /** One chained event as stored: its row id, its place in the chain and what it says. */
    public record Chained(long id, long seq, String prev, String hash, AuditEvent event) {
    }

    private static final RowMapper<Chained> CHAINED = (rs, ctx) -> new Chained(rs.getLong("id"), rs.getLong("seq"),
            rs.getString("prev_hash"), rs.getString("hash"), MAPPER.map(rs, ctx));

    /** Chained events numbered above {@code afterSeq} (up to {@code toSeq}), in chain order. */
    public List<Chained> chained(long afterSeq, long toSeq, int limit) {
        return h.createQuery("SELECT * FROM audit_events WHERE seq > :after AND seq <= :to ORDER BY seq LIMIT :limit")
                .bind("after", afterSeq).bind("to", toSeq).bind("limit", limit).map(CHAINED).list();
    }

    /**
     * The first event numbered past the head, read in one statement (one snapshot: an event committed meanwhile moved
     * the head with it), if any: only someone writing the table by hand puts one there.
     */
    public java.util.Optional<Long> firstBeyondHead() {
        return h.createQuery("SELECT MIN(seq) FROM audit_events WHERE seq > (SELECT head_seq FROM audit_chain WHERE id = 1)")
                .mapTo(Long.class).findOne();
    }

    /** The ids of events that carry no place in the chain, beyond those of before the chain waiting to be chained. */
    public List<Long> unchained(long legacyUntilId, int limit) {
        return h.createQuery("SELECT id FROM audit_events WHERE seq IS NULL AND id > :legacy ORDER BY id LIMIT :limit")
                .bind("legacy", legacyUntilId).bind("limit", limit).mapTo(Long.class).list();
    }

    /**
     * Chains up to {@code limit} of the events recorded before the chain existed, in id order, under the head's lock;
     * answers how many it chained (0 once none is left, when it also stops looking for them).
     */
    public int chainLegacy(int limit) {
        AuditChainHead head = AuditChainHead.lock(h);
        if (head.legacyUntilId() == 0) {
            return 0;
        }
        List<Chained> legacy = h.createQuery("SELECT * FROM audit_events WHERE seq IS NULL AND id <= :until "
                        + "ORDER BY id LIMIT :limit")
                .bind("until", head.legacyUntilId()).bind("limit", limit)
                .map((rs, ctx) -> new Chained(rs.getLong("id"), 0, null, null, MAPPER.map(rs, ctx))).list();
        if (legacy.isEmpty()) {
            h.createUpdate("UPDATE audit_chain SET legacy_until_id = 0 WHERE id = 1").execute();
            return 0;
        }
        List<ChainLink> links = ChainLink.after(head.seq(), head.hash(), legacy.stream().map(Chained::event).toList());
        PreparedBatch batch = h.prepareBatch("UPDATE audit_events SET seq = :seq, prev_hash = :prev, hash = :hash WHERE id = :id");
        for (int i = 0; i < legacy.size(); i++) {
            ChainLink link = links.get(i);
            batch.bind("seq", link.seq()).bind("prev", link.prev()).bind("hash", link.hash()).bind("id", legacy.get(i).id()).add();
        }
        batch.execute();
        ChainLink last = links.get(links.size() - 1);
        AuditChainHead.advance(h, last.seq(), last.hash());
        return legacy.size();
    }
}
