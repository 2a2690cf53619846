package dev.rotakey.cluster;

import dev.rotakey.schedule.QuartzWorkScheduler;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * On every node of a cluster, puts back what a node that died between a commit and its scheduling call left
 * without a trigger: a rotation just started (every check-in interval, so that it finishes well within 30 s of the
 * death) and a credential's next rotation, a revocation or an expiry (every minute). A single node does this at
 * its restart instead ({@code RestartRecovery}, {@link QuartzWorkScheduler#reconcile()}).
 */
public final class ClusterSweep implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSweep.class);
    private static final Duration RECONCILE_EVERY = Duration.ofMinutes(1);

    private final QuartzWorkScheduler scheduler;
    private final Duration interval;
    private final Clock clock;
    private ScheduledExecutorService executor;
    private long runs;

    public ClusterSweep(QuartzWorkScheduler scheduler, Duration interval, Clock clock) {
        this.scheduler = scheduler;
        this.interval = interval;
        this.clock = clock;
    }

    @Override
    public synchronized void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster-sweep");
            t.setDaemon(true);
            return t;
        });
        long everyMs = interval.toMillis();
        long reconcileEvery = Math.max(1, RECONCILE_EVERY.toMillis() / everyMs);
        // An exception escaping here would silently end the schedule.
        executor.scheduleWithFixedDelay(() -> {
            try {
                scheduler.resumeUnscheduled(clock.instant());
                if (++runs % reconcileEvery == 0) {
                    scheduler.reconcile();
                }
            } catch (RuntimeException e) {
                LOG.warn("cluster sweep failed: {}", e.toString());
            }
        }, everyMs, everyMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() throws InterruptedException {
        if (executor != null) {
            executor.shutdownNow();
            executor.awaitTermination(10, TimeUnit.SECONDS);
            executor = null;
        }
    }
}
