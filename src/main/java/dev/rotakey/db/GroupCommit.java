package dev.rotakey.db;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.slf4j.MDC;

import java.util.ArrayDeque;
import java.util.ArrayList;
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
    private final int maxBatch;
    private final ArrayDeque<Member<?>> queue = new ArrayDeque<>();
    /** Set while a leader runs members' work: work that asks for another group commit gets its own transaction. */
    private final ThreadLocal<Boolean> committing = ThreadLocal.withInitial(() -> false);
    private boolean leading;
    private long commits;

    GroupCommit(Jdbi jdbi, int maxBatch) {
        this.jdbi = jdbi;
        this.maxBatch = maxBatch;
    }

    <T> T tx(Function<Daos, T> work) {
        if (committing.get()) {
            return jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> work.apply(new Daos(h)));
        }
        Member<T> me = new Member<>(work, MDC.getCopyOfContextMap());
        synchronized (this) {
            queue.add(me);
            if (leading) {
                while (!me.done && !me.leads) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // The work is queued and will be committed by the leader: wait for it, keep the interrupt.
                        me.interrupted = true;
                    }
                }
            } else {
                leading = true;
                me.leads = true;
            }
        }
        if (!me.done) {
            lead();
        }
        if (me.interrupted) {
            Thread.currentThread().interrupt();
        }
        return me.outcome();
    }

    /** Commits batches until this caller's own work is committed, then hands the lead to a waiting caller. */
    private void lead() {
        Member<?> self = null;
        while (true) {
            List<Member<?>> batch = new ArrayList<>();
            synchronized (this) {
                while (!queue.isEmpty() && batch.size() < maxBatch) {
                    batch.add(queue.poll());
                }
            }
            commit(batch);
            synchronized (this) {
                for (Member<?> m : batch) {
                    m.done = true;
                    if (m.leads) {
                        self = m;
                    }
                }
                if (self != null && self.done) {
                    Member<?> next = queue.peek();
                    if (next == null) {
                        leading = false;
                    } else {
                        next.leads = true;
                    }
                    notifyAll();
                    return;
                }
                notifyAll();
            }
        }
    }

    /** Callers waiting for their work to be committed (for tests). */
    synchronized int waiting() {
        return queue.size();
    }

    /** Transactions committed or attempted so far (for tests). */
    synchronized long commits() {
        return commits;
    }

    private void commit(List<Member<?>> batch) {
        synchronized (this) {
            commits++;
        }
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
                jdbi.useTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> only.run(h));
            } catch (RuntimeException | Error e) {
                only.failure = e;
            }
            return;
        }
        try {
            jdbi.useTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> {
                for (int i = 0; i < batch.size(); i++) {
                    Member<?> m = batch.get(i);
                    String savepoint = "member" + i;
                    h.savepoint(savepoint);
                    try {
                        m.run(h);
                        h.releaseSavepoint(savepoint);
                    } catch (RuntimeException | Error e) {
                        h.rollbackToSavepoint(savepoint);
                        m.failure = e;
                    }
                }
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
        private boolean done;
        private boolean leads;
        private boolean interrupted;

        Member(Function<Daos, T> work, Map<String, String> context) {
            this.work = work;
            this.context = context;
        }

        void run(Handle h) {
            Map<String, String> leaderContext = MDC.getCopyOfContextMap();
            setContext(context);
            try {
                result = work.apply(new Daos(h));
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
