package dev.rotakey.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Hands work that concurrent callers submit while a batch is being handled to one handling of the next batch, run by
 * one of those callers (the leader), so that costs paid per handling (a commit, a scheduler's lock) are paid once per
 * batch rather than once per caller. The first caller is handled at once, alone: nobody waits for a batch to fill.
 * Each caller returns only after the batch holding its work has been handled.
 *
 * @param <W> one caller's work; the handler records each one's own outcome in it
 */
public final class Coalescer<W> {
    private final int maxBatch;
    private final Consumer<List<W>> handler;
    private final ArrayDeque<Entry<W>> queue = new ArrayDeque<>();
    private boolean leading;
    private long batches;

    /**
     * @param maxBatch the most work handled at once
     * @param handler  handles a batch, on the leader's thread; if it throws, every caller of the batch gets the failure
     */
    public Coalescer(int maxBatch, Consumer<List<W>> handler) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1");
        }
        this.maxBatch = maxBatch;
        this.handler = handler;
    }

    /** Returns once {@code work} has been handled, alone or with others'; throws what the handler threw for its batch. */
    public void submit(W work) {
        Entry<W> me = new Entry<>(work);
        synchronized (this) {
            queue.add(me);
            if (leading) {
                while (!me.done && !me.leads) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // The work is queued and will be handled by the leader: wait for it, keep the interrupt.
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
        if (me.failure instanceof RuntimeException e) {
            throw e;
        }
        if (me.failure instanceof Error e) {
            throw e;
        }
    }

    /** Handles batches until this caller's own work is handled, then hands the lead to a waiting caller. */
    private void lead() {
        while (true) {
            List<Entry<W>> batch = new ArrayList<>();
            synchronized (this) {
                while (!queue.isEmpty() && batch.size() < maxBatch) {
                    batch.add(queue.poll());
                }
                batches++;
            }
            Throwable failure = handle(batch);
            synchronized (this) {
                boolean mineDone = false;
                for (Entry<W> e : batch) {
                    e.failure = failure;
                    e.done = true;
                    mineDone |= e.leads;
                }
                if (mineDone) {
                    Entry<W> next = queue.peek();
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

    private Throwable handle(List<Entry<W>> batch) {
        try {
            handler.accept(batch.stream().map(e -> e.work).toList());
            return null;
        } catch (RuntimeException | Error e) {
            return e;
        }
    }

    /** Callers waiting for their work to be handled (for tests). */
    public synchronized int waiting() {
        return queue.size();
    }

    /** Batches handled or attempted so far (for tests). */
    public synchronized long batches() {
        return batches;
    }

    /** One caller's work and where it stands. */
    private static final class Entry<W> {
        private final W work;
        private Throwable failure;
        private boolean done;
        private boolean leads;
        private boolean interrupted;

        Entry(W work) {
            this.work = work;
        }
    }
}
