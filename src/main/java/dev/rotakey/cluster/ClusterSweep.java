package dev.rotakey.cluster;

import dev.rotakey.schedule.QuartzWorkScheduler;

import java.time.Clock;
import java.time.Duration;

/**
 * On every node of a cluster, puts back what a node that died between a commit and its scheduling call left
 * without a trigger: a rotation just started (each run, every check-in interval, so that it finishes well within
 * 30 s of the death) and a credential's next rotation, a revocation or an expiry (about every minute). A single node
 * does this at its restart instead ({@code RestartRecovery}, {@link QuartzWorkScheduler#reconcile()}). Run by a
 * {@link dev.rotakey.schedule.FixedDelayWork}.
 */
public final class ClusterSweep implements Runnable {
    private static final Duration RECONCILE_EVERY = Duration.ofMinutes(1);

    private final QuartzWorkScheduler scheduler;
    private final Clock clock;
    private final long reconcileEvery;
    private long runs;

    /** @param interval how often {@link #run()} is called: the check-in interval */
    public ClusterSweep(QuartzWorkScheduler scheduler, Duration interval, Clock clock) {
        this.scheduler = scheduler;
        this.clock = clock;
        this.reconcileEvery = Math.max(1, RECONCILE_EVERY.toMillis() / interval.toMillis());
    }

    @Override
    public void run() {
        scheduler.resumeUnscheduled(clock.instant());
        if (++runs % reconcileEvery == 0) {
            scheduler.reconcile();
        }
    }
}
