package dev.rotakey.db;

import dev.rotakey.audit.AuditEvent;
import dev.rotakey.audit.ChainLink;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.util.ArrayList;
import java.util.List;

/**
 * The audit events of one transaction, chained and inserted just before it commits ({@link #seal}): under the lock
 * of the chain's head row, each gets the next number and the hash of its canonical line over the previous event's
 * hash. Taking that lock last, and holding it only through the commit, keeps one sequence for every node without a
 * deadlock (a transaction holding it waits for no other lock) and without serialising anything but commits that
 * record events.
 */
final class PendingAudit {
    private static final String INSERT = "INSERT INTO audit_events (at, actor, action, subject, outcome, correlation_id, "
            + "details, node, seq, prev_hash, hash) VALUES (:at, :actor, :action, :subject, :outcome, :correlationId, "
            + ":details, :node, :seq, :prev, :hash)";

    private final List<AuditEvent> events = new ArrayList<>();

    void add(AuditEvent e) {
        events.add(e);
    }

    /** How many events are pending, for {@link #rollbackTo} when a savepoint's work is rolled back. */
    int mark() {
        return events.size();
    }

    /** Forgets the events added since {@code mark}: their savepoint was rolled back. */
    void rollbackTo(int mark) {
        events.subList(mark, events.size()).clear();
    }

    /** Chains and inserts the pending events in the transaction of {@code h}; call it last, just before the commit. */
    void seal(Handle h) {
        if (events.isEmpty()) {
            return;
        }
        AuditChainHead head = AuditChainHead.lock(h);
        List<ChainLink> links = ChainLink.after(head.seq(), head.hash(), events);
        PreparedBatch batch = h.prepareBatch(INSERT);
        for (int i = 0; i < events.size(); i++) {
            AuditEvent e = events.get(i);
            ChainLink link = links.get(i);
            batch.bind("at", e.at())
                    .bind("actor", e.actor())
                    .bind("action", e.action())
                    .bind("subject", e.subject())
                    .bind("outcome", e.outcome())
                    .bind("correlationId", e.correlationId())
                    .bind("details", e.details())
                    .bind("node", e.node())
                    .bind("seq", link.seq())
                    .bind("prev", link.prev())
                    .bind("hash", link.hash())
                    .add();
        }
        batch.execute();
        ChainLink last = links.get(links.size() - 1);
        AuditChainHead.advance(h, last.seq(), last.hash());
        events.clear();
    }
}
