package dev.rotakey.batch;

import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
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
        if (active.putIfAbsent(batch.claim(), batch.id()) != null) {
            return true;
        }
        ThreadPoolExecutor lane;
        synchronized (this) {
            lane = stopping ? null : batch.kind() == Batch.Kind.REVOKE ? urgent : bulk;
        }
        if (lane == null) {
            active.remove(batch.claim());
            return false;
        }
        try {
            lane.execute(() -> {
                try {
                    processor.run(batch, () -> stopping);
                } finally {
                    active.remove(batch.claim());
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            active.remove(batch.claim());
            LOG.warn("batch {} waits: {} batches are queued already (batches.queueCapacity); it is handed over again "
                    + "within a check-in interval", batch.id(), queueCapacity);
            return false;
        }
    }

    /** Whether the batch is queued or running on this node. */
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
    }
}
