package dev.rotakey.db;

import dev.rotakey.core.Coalescer;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.slf4j.MDC;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Group commit of rotation steps: transactions asked for while another group is committing are run together, each
 * under its own savepoint, in one database transaction, so that a mass rotation commits once per step of a batch of
 * rotations rather than once per step of each. The first caller commits at once, alone: nobody waits for a batch to
 * fill. Each caller gets its own result, or its own exception with only its own work rolled back, and returns only
 * after the commit that holds its work, so that a step's effect is never relied on before it is durable.
 */
final class GroupCommit {
    private final Jdbi jdbi;
    private final Coalescer<Member<?>> members;
    /** Set while a leader runs members' work: work that asks for another group commit gets its own transaction. */
    private final ThreadLocal<Boolean> committing = ThreadLocal.withInitial(() -> false);

    GroupCommit(Jdbi jdbi, int maxBatch) {
        this.jdbi = jdbi;
        this.members = new Coalescer<>(maxBatch, this::commit);
    }

    <T> T tx(Function<Daos, T> work) {
        if (committing.get()) {
            return jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> {
                Daos daos = new Daos(h);
                T result = work.apply(daos);
                daos.sealAudit();
                return result;
            });
        }
        Member<T> me = new Member<>(work, MDC.getCopyOfContextMap());
        members.submit(me);
        return me.outcome();
    }

    /** Callers waiting for their work to be committed (for tests). */
    int waiting() {
        return members.waiting();
    }

    /** Transactions committed or attempted so far (for tests). */
    long commits() {
        return members.batches();
    }

    private void commit(List<Member<?>> batch) {
        committing.set(true);
        try {
            commitTogether(batch);
        } finally {
            committing.set(false);
        }
    }

    private void commitTogether(List<Member<?>> batch) {
        if (batch.size() == 1) {
            Member<?> only = batch.get(0);
            try {
                jdbi.useTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> {
                    Daos daos = new Daos(h);
                    only.run(daos);
                    daos.sealAudit();
                });
            } catch (RuntimeException | Error e) {
                only.failure = e;
            }
            return;
        }
        try {
            jdbi.useTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> {
                PendingAudit audit = new PendingAudit();
                Daos daos = new Daos(h, audit);
                for (int i = 0; i < batch.size(); i++) {
                    Member<?> m = batch.get(i);
                    String savepoint = "member" + i;
                    int auditMark = audit.mark();
                    h.savepoint(savepoint);
                    try {
                        m.run(daos);
                        h.releaseSavepoint(savepoint);
                    } catch (RuntimeException | Error e) {
                        h.rollbackToSavepoint(savepoint);
                        audit.rollbackTo(auditMark);
                        m.failure = e;
                    }
                }
                daos.sealAudit();
            });
        } catch (RuntimeException | Error e) {
            // The commit itself failed: nothing of the batch is durable, and every member learns so.
            for (Member<?> m : batch) {
                m.result = null;
                if (m.failure == null) {
                    m.failure = e;
                }
            }
        }
    }

    /** One caller's work, run on the leader's thread with the caller's logging context. */
    private static final class Member<T> {
        private final Function<Daos, T> work;
        private final Map<String, String> context;
        private T result;
        private Throwable failure;

        Member(Function<Daos, T> work, Map<String, String> context) {
            this.work = work;
            this.context = context;
        }

        void run(Daos daos) {
            Map<String, String> leaderContext = MDC.getCopyOfContextMap();
            setContext(context);
            try {
                result = work.apply(daos);
            } finally {
                setContext(leaderContext);
            }
        }

        T outcome() {
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            return result;
        }

        private static void setContext(Map<String, String> context) {
            if (context == null) {
                MDC.clear();
            } else {
                MDC.setContextMap(context);
            }
        }
    }
}
