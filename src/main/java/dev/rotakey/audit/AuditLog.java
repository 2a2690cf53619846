package dev.rotakey.audit;

import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes audit events, inside the caller's transaction when there is one so that an event and
 * the change it describes commit together. Callers pass identifiers and outcomes only; secret
 * material has no parameter to travel through. Each event names the node that recorded it.
 */
public final class AuditLog {
    public static final String MDC_CORRELATION = "correlationId";
    private static final Logger LOG = LoggerFactory.getLogger("rotakey.audit");

    private final Store store;
    private final Clock clock;
    private final NodeIdentity node;
    private final Consumer<AuditAction> afterCommit;

    /** With no one to tell of committed events. */
    public AuditLog(Store store, Clock clock, NodeIdentity node) {
        this(store, clock, node, action -> {
        });
    }

    /**
     * @param afterCommit called with the action of each event recorded in a transaction of its own, once committed:
     *                    lets the alert evaluator look again at once when a revoked key is presented, instead of at
     *                    its next tick
     */
    public AuditLog(Store store, Clock clock, NodeIdentity node, Consumer<AuditAction> afterCommit) {
        this.store = store;
        this.clock = clock;
        this.node = node;
        this.afterCommit = afterCommit;
    }

    /** Records an event in the transaction of {@code tx}. */
    public void record(Daos tx, String actor, AuditAction action, String subject, String outcome, String details) {
        AuditEvent e = new AuditEvent(0, clock.instant(), actor, action.wireName(), subject, outcome,
                MDC.get(MDC_CORRELATION), details, node.instanceId());
        tx.audit().append(e);
        log(e);
    }

    /** One event for {@link #recordAll}: what {@link #record(Daos, String, AuditAction, String, String, String)} takes. */
    public record Entry(String actor, AuditAction action, String subject, String outcome, String details) {
    }

    /** Records many events in the transaction of {@code tx}, in one batch and in order. */
    public void recordAll(Daos tx, List<Entry> entries) {
        String correlation = MDC.get(MDC_CORRELATION);
        List<AuditEvent> events = entries.stream().map(x -> new AuditEvent(0, clock.instant(), x.actor(),
                x.action().wireName(), x.subject(), x.outcome(), correlation, x.details(), node.instanceId())).toList();
        tx.audit().appendAll(events);
        events.forEach(AuditLog::log);
    }

    private static void log(AuditEvent e) {
        LOG.info("{} {} {} by {} on {}{}", e.action(), e.subject(), e.outcome(), e.actor(), e.node(),
                e.details() == null ? "" : " (" + e.details() + ")");
    }

    /** Records an event in a transaction of its own, then tells the observer (after the commit). */
    public void record(String actor, AuditAction action, String subject, String outcome, String details) {
        store.txRun(tx -> record(tx, actor, action, subject, outcome, details));
        afterCommit.accept(action);
    }
}
