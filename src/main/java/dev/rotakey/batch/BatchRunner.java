package dev.rotakey.batch;

import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The background threads that work batches ({@link BatchProcessor}), in two lanes with bounded queues: emergency
 * revocations have a thread of their own, so that they never wait behind a mass rotation or a decommission. A
 * batch the queues have no room for stays RUNNING in the database, and the sweep hands it over again later. On
 * stop, each thread finishes the item it is on and leaves the rest for the next start.
 */
public final class BatchRunner implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);
    private static final long STOP_WAIT_SECONDS = 30;

    private final BatchProcessor processor;
    private final int threads;
    private final int queueCapacity;
    /**
     * Batches queued or running here: the claim each is held under, to its batch id. The sweep leaves them alone. By
     * claim, so that a run under an old claim (about to find it lost) never hides the run under the new one.
     */
    private final Map<String, String> active = new ConcurrentHashMap<>();
    /** The claims of the batches queued or running here (the others in {@link #active} are held by their task). */
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private ThreadPoolExecutor bulk;
    private ThreadPoolExecutor urgent;

    public BatchRunner(BatchProcessor processor, int threads, int queueCapacity) {
        this.processor = processor;
        this.threads = threads;
        this.queueCapacity = queueCapacity;
    }

    @Override
    public synchronized void start() {
        stopping = false;
        bulk = pool("rotakey-batch-", threads);
        urgent = pool("rotakey-batch-urgent-", 1);
    }

    private ThreadPoolExecutor pool(String prefix, int n) {
        AtomicInteger count = new AtomicInteger();
        return new ThreadPoolExecutor(n, n, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueCapacity), r -> {
            Thread t = new Thread(r, prefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Queues {@code batch} (held under its claim) in its lane, unless it is queued or running here already under
     * that claim. (Under an older one, that run stops at its next look at the claim.)
     *
     * @return whether it is queued or running here now; false when the lane is full or the runner stopped
     */
    public boolean submit(Batch batch) {
        if (!queued.add(batch.claim())) {
            return true;
        }
        active.put(batch.claim(), batch.id());
        ThreadPoolExecutor lane;
        synchronized (this) {
            lane = stopping ? null : batch.kind() == Batch.Kind.REVOKE ? urgent : bulk;
        }
        if (lane == null) {
            forget(batch);
            return false;
        }
        try {
            lane.execute(() -> {
                try {
                    processor.run(batch, () -> stopping);
                } finally {
                    forget(batch);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            forget(batch);
            LOG.warn("batch {} waits: {} batches are queued already (batches.queueCapacity); it is handed over again "
                    + "within a check-in interval", batch.id(), queueCapacity);
            return false;
        }
    }

    private void forget(Batch batch) {
        queued.remove(batch.claim());
        active.remove(batch.claim());
    }

    /**
     * Marks a batch its task is still preparing (recording it, planning it) as this node's, so that the sweep does
     * not take it meanwhile; {@link #submit} or {@link #release} ends the hold.
     */
    public void hold(Batch batch) {
        active.put(batch.claim(), batch.id());
    }

    /** Ends a {@link #hold} of a batch that was not submitted (its task failed): the sweep may take it again. */
    public void release(Batch batch) {
        if (!queued.contains(batch.claim())) {
            active.remove(batch.claim());
        }
    }

    /** Whether the batch is held, queued or running on this node. */
    public boolean active(String batchId) {
        return active.containsValue(batchId);
    }

    @Override
    public void stop() throws InterruptedException {
        ThreadPoolExecutor b;
        ThreadPoolExecutor u;
        synchronized (this) {
            stopping = true;
            b = bulk;
            u = urgent;
        }
        if (b == null) {
            return;
        }
        b.shutdown();
        u.shutdown();
        // Each thread ends after its current item: the batch stays RUNNING and resumes at the next start.
        boolean bulkEnded = b.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        boolean urgentEnded = u.awaitTermination(1, TimeUnit.SECONDS);
        if (!bulkEnded || !urgentEnded) {
            LOG.warn("batch threads still busy after {} s; interrupting them", STOP_WAIT_SECONDS);
            b.shutdownNow();
            u.shutdownNow();
        }
        active.clear();
        queued.clear();
    }
}
