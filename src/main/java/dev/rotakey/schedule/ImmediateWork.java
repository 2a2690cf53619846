package dev.rotakey.schedule;

import dev.rotakey.core.WorkScheduler;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs rotations that may continue now (an operator's rotation, the next step after a restart-free start) on this
 * node's own threads instead of through a Quartz trigger each: a trigger costs several durable commits and a pass
 * through Quartz's single acquisition lock, more than a step itself. Everything else, and whatever this node cannot
 * take now (not started, stopping, queue full), goes to the scheduler it wraps. Nothing is lost with the queue: a
 * rotation waiting in it is RUNNING in the database, which a restart resumes, and on a cluster another node's sweep
 * ({@code ClusterSweep}) takes over a rotation that stays quiet; the queue is kept short there so that a mass
 * rotation's remainder is shared through Quartz.
 */
public final class ImmediateWork implements WorkScheduler, Managed {
    private static final Logger LOG = LoggerFactory.getLogger(ImmediateWork.class);

    private final WorkScheduler scheduler;
    private final Consumer<String> continuation;
    private final Clock clock;
    private final int threads;
    private final int capacity;
    private volatile ThreadPoolExecutor pool;

    /**
     * @param scheduler    the durable scheduler everything else goes to
     * @param continuation runs a rotation as far as it goes now
     * @param threads      threads running rotations
     * @param capacity     rotations waiting at most before further ones go to {@code scheduler}
     */
    public ImmediateWork(WorkScheduler scheduler, Consumer<String> continuation, Clock clock, int threads, int capacity) {
        this.scheduler = scheduler;
        this.continuation = continuation;
        this.clock = clock;
        this.threads = threads;
        this.capacity = capacity;
    }

    @Override
    public void start() {
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(capacity), r -> {
            Thread t = new Thread(r, "rotakey-rotation-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
    }

    @Override
    public void stop() throws InterruptedException {
        ThreadPoolExecutor p = pool;
        pool = null;
        if (p != null) {
            // Queued rotations are RUNNING in the database: the next start (or another node) resumes them. Running
            // steps finish undisturbed (an interrupt would close their files' channels half-way).
            p.shutdown();
            p.getQueue().clear();
            if (!p.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("rotations still running after 30 s of shutdown; they resume from their last persisted step");
            }
        }
    }

    @Override
    public void continueRotationAt(String rotationId, Instant at) {
        ThreadPoolExecutor p = pool;
        if (p != null && !at.isAfter(clock.instant())) {
            try {
                p.execute(() -> run(rotationId));
                return;
            } catch (RejectedExecutionException full) {
                // Full or stopping: Quartz keeps it durably instead.
            }
        }
        scheduler.continueRotationAt(rotationId, at);
    }

    private void run(String rotationId) {
        try {
            continuation.accept(rotationId);
        } catch (RuntimeException e) {
            // The executor records step failures itself; this is the database failing around it. Quartz retries.
            LOG.error("rotation {} could not continue now; handing it to the scheduler", rotationId, e);
            scheduler.continueRotationAt(rotationId, clock.instant().plusSeconds(5));
        }
    }

    /**
     * An emergency must not queue behind a mass rotation on this node's threads: it goes to Quartz, whose threads
     * this node's immediate work leaves free, ahead of anything Quartz has due.
     */
    @Override
    public void continueRotationFirst(String rotationId, Instant at) {
        scheduler.continueRotationFirst(rotationId, at);
    }

    @Override
    public void resumeRotation(String rotationId, Instant at) {
        // On a cluster Quartz knows whether another node already runs it; on one node this is the start-up's resume.
        scheduler.resumeRotation(rotationId, at);
    }

    @Override
    public void rotateAt(String credentialId, Instant at) {
        scheduler.rotateAt(credentialId, at);
    }

    @Override
    public void rotateAllAt(Map<String, Instant> atByCredential) {
        scheduler.rotateAllAt(atByCredential);
    }

    @Override
    public void revokeAt(String credentialId, int version, Instant at) {
        scheduler.revokeAt(credentialId, version, at);
    }

    @Override
    public void decommissionAt(String agentId, Instant at) {
        scheduler.decommissionAt(agentId, at);
    }

    @Override
    public void rotateEventually(String credentialId, Instant at) {
        scheduler.rotateEventually(credentialId, at);
    }

    @Override
    public void revokeEventually(String credentialId, int version, Instant at) {
        scheduler.revokeEventually(credentialId, version, at);
    }

    @Override
    public void forgetCredential(String credentialId) {
        scheduler.forgetCredential(credentialId);
    }

    @Override
    public void forgetAll(Collection<String> credentialIds) {
        scheduler.forgetAll(credentialIds);
    }
}
