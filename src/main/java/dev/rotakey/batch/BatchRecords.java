package dev.rotakey.batch;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.BatchDao;
import dev.rotakey.db.Store;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Writes a batch's life: opened with the operator's audit event (which names it), planned, each item's outcome,
 * finished with an audit event that counts the outcomes.
 */
public final class BatchRecords {
    private final Store store;
    private final AuditLog audit;
    private final NodeIdentity node;
    private final Clock clock;

    public BatchRecords(Store store, AuditLog audit, NodeIdentity node, Clock clock) {
        this.store = store;
        this.audit = audit;
        this.node = node;
        this.clock = clock;
    }

    /**
     * Records a new RUNNING batch, held by this node, with the operator's {@code action} about {@code subject} in
     * the same transaction; the event's details end with {@code batch=<id>}.
     */
    public Batch open(Batch.Kind kind, String subject, String actor, AuditAction action, String details) {
        return open(fresh(kind, subject, actor), action, details);
    }

    /** {@link #open} of a batch made by {@link #fresh} (held by its runner before it is recorded). */
    public Batch open(Batch b, AuditAction action, String details) {
        String subject = b.subject();
        String actor = b.actor();
        return store.tx(tx -> {
            tx.batches().insert(b);
            audit.record(tx, actor, action, subject, "ok", (details == null ? "" : details + " ") + "batch=" + b.id());
            return tx.batches().find(b.id()).orElseThrow();
        });
    }

    /** A new RUNNING batch held by this node, with the correlation id of the request it comes from; not recorded. */
    public Batch fresh(Batch.Kind kind, String subject, String actor) {
        Instant now = clock.instant();
        return new Batch(UUID.randomUUID().toString(), 0, kind, subject, actor, Batch.State.RUNNING, node.instanceId(),
                UUID.randomUUID().toString(), MDC.get(AuditLog.MDC_CORRELATION), null, null, now, now, null);
    }

    /** Records the credentials a batch covers, as PENDING items in this order. */
    public Batch plan(Batch b, List<String> credentialIds) {
        return plan(b, credentialIds, null);
    }

    /** {@link #plan}, the first item naming {@code rotationId} already (an emergency's rotation). */
    public Batch plan(Batch b, List<String> credentialIds, String rotationId) {
        Instant now = clock.instant();
        store.txRun(tx -> {
            // Planned already by a node that took the batch over in between: its plan stands.
            if (tx.batches().plan(b.id(), credentialIds, now) && rotationId != null) {
                tx.batches().nameRotation(b.id(), 0, rotationId);
            }
        });
        Batch stored = store.read(d -> d.batches().find(b.id())).orElseThrow();
        return new Batch(b.id(), b.seq(), b.kind(), b.subject(), b.actor(), b.state(), b.node(), b.claim(),
                b.correlationId(), stored.total(), b.error(), b.createdAt(), now, b.finishedAt());
    }

    /**
     * Records a batch that was done before its task answered (the rotation of one credential): opened with the
     * operator's {@code action}, its one item {@code result}, ended, in one transaction.
     */
    public Batch done(Batch.Kind kind, String subject, String actor, AuditAction action, String details,
                      String credentialId, ItemResult result) {
        Batch b = fresh(kind, subject, actor);
        Instant now = b.createdAt();
        return store.tx(tx -> {
            tx.batches().insert(b);
            tx.batches().plan(b.id(), List.of(credentialId), now);
            tx.batches().record(b.id(), 0, result.outcome(), result.reason(), result.rotationId(), result.detail(), now);
            tx.batches().finish(b.id(), result.outcome() == BatchItem.Outcome.FAILED ? Batch.State.FAILED
                    : Batch.State.DONE, null, now);
            audit.record(tx, actor, action, subject, "ok", (details == null ? "" : details + " ") + "batch=" + b.id());
            return tx.batches().find(b.id()).orElseThrow();
        });
    }

    /** Records what became of one item, unless it has an outcome already. */
    public boolean record(Batch b, int itemNo, ItemResult r) {
        return record(b, Map.of(itemNo, r)) == 1;
    }

    /**
     * Records what became of several items in one transaction (one commit rather than one each), except those that
     * have an outcome already.
     *
     * @return how many were recorded
     */
    public int record(Batch b, Map<Integer, ItemResult> results) {
        if (results.isEmpty()) {
            return 0;
        }
        Instant now = clock.instant();
        return store.tx(tx -> {
            int n = 0;
            for (Map.Entry<Integer, ItemResult> e : results.entrySet()) {
                ItemResult r = e.getValue();
                n += tx.batches().record(b.id(), e.getKey(), r.outcome(), r.reason(), r.rotationId(), r.detail(), now)
                        ? 1 : 0;
            }
            return n;
        });
    }

    /**
     * Ends a batch whose items all have an outcome: DONE, or FAILED when one failed. Audited with the counts.
     *
     * @return the state it ended in (already, if another node ended it first: then not audited again)
     */
    public Batch.State finish(Batch b) {
        return end(b, null);
    }

    /** Ends a batch that could not be carried out (its items may be left PENDING), with {@code error}. */
    public Batch.State fail(Batch b, String error) {
        return end(b, error);
    }

    private Batch.State end(Batch b, String error) {
        Instant now = clock.instant();
        return store.tx(tx -> {
            Map<String, Long> counts = new TreeMap<>();
            boolean failed = error != null;
            for (BatchDao.Count c : tx.batches().counts(Set.of(b.id()))) {
                counts.merge(c.outcome().name().toLowerCase(Locale.ROOT), c.n(), Long::sum);
                failed |= c.outcome() == BatchItem.Outcome.FAILED;
            }
            Batch.State state = failed ? Batch.State.FAILED : Batch.State.DONE;
            if (tx.batches().finish(b.id(), state, error, now)) {
                audit.record(tx, b.actor(), AuditAction.BATCH_FINISHED, b.subject(), state.name().toLowerCase(Locale.ROOT),
                        "batch=" + b.id() + " kind=" + b.kind().wireName() + " " + counts + (error == null ? "" : " error=" + error));
            }
            return state;
        });
    }
}
