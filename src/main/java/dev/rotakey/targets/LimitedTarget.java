package dev.rotakey.targets;

import dev.rotakey.metrics.TargetLimitMetrics;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A target whose deliver, verify, revoke and discard calls queue for a concurrency permit and an evenly
 * spaced start slot, so that a mass rotation cannot overload the system behind it; a call that would wait
 * longer than {@code maxWait} fails as a retryable "target busy". Where permits and slots come from is
 * pluggable: this process for one node, the shared database for a cluster ({@link TargetLimitsFactory}).
 */
public final class LimitedTarget extends ForwardingTarget {

    /** How LimitedTarget reads the time and waits, so that tests can replace both. */
    public interface Waiting {
        long nanoTime();

        void sleepNanos(long nanos) throws InterruptedException;

        /** Takes a permit from {@code permits}, waiting at most {@code timeoutNanos}; false on timeout. */
        boolean acquire(Semaphore permits, long timeoutNanos) throws InterruptedException;

        Waiting SYSTEM = new Waiting() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleepNanos(long nanos) throws InterruptedException {
                TimeUnit.NANOSECONDS.sleep(nanos);
            }

            @Override
            public boolean acquire(Semaphore permits, long timeoutNanos) throws InterruptedException {
                return permits.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS);
            }
        };
    }

    private final OperationPermits permits;
    private final StartSlots slots;
    private final long maxWaitNanos;
    private final Waiting waiting;
    private final AtomicInteger queued = new AtomicInteger();
    private final GaugeDataPoint queuedSeries;
    private final DistributionDataPoint waitSeries;

    /**
     * Limits kept in this process ({@link LocalPermits}, {@link LocalStartSlots}): one node's view.
     *
     * @param concurrency at most this many operations at once; 0 for no limit
     * @param perSecond at most this many operations started per second, evenly spaced; 0 for no limit
     * @param metrics receives this target's {@code rotakey_target_queued} and {@code rotakey_target_wait_seconds}
     */
    public LimitedTarget(Target delegate, int concurrency, int perSecond, Duration maxWait, Waiting waiting,
                         TargetLimitMetrics metrics) {
        this(delegate, localPermits(concurrency, waiting), localSlots(perSecond, waiting), maxWait, waiting, metrics);
    }

    /**
     * Limits taken from {@code permits} and {@code slots} (either may be null: no such limit), e.g. the
     * database-backed ones that hold for a whole cluster.
     *
     * @param metrics receives this target's {@code rotakey_target_queued} and {@code rotakey_target_wait_seconds}
     */
    public LimitedTarget(Target delegate, OperationPermits permits, StartSlots slots, Duration maxWait,
                         Waiting waiting, TargetLimitMetrics metrics) {
        super(delegate);
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive");
        }
        this.permits = permits;
        this.slots = slots;
        this.maxWaitNanos = maxWait.toNanos();
        this.waiting = waiting;
        this.queuedSeries = metrics.queued(delegate.name());
        this.waitSeries = metrics.waited(delegate.name());
    }

    private static OperationPermits localPermits(int concurrency, Waiting waiting) {
        if (concurrency < 0) {
            throw new IllegalArgumentException("concurrency and perSecond must be >= 0 and maxWait positive");
        }
        return concurrency > 0 ? new LocalPermits(concurrency, waiting) : null;
    }

    private static StartSlots localSlots(int perSecond, Waiting waiting) {
        if (perSecond < 0) {
            throw new IllegalArgumentException("concurrency and perSecond must be >= 0 and maxWait positive");
        }
        return perSecond > 0 ? new LocalStartSlots(TimeUnit.SECONDS.toNanos(1) / perSecond, waiting) : null;
    }

    /** Operations waiting for a permit or a start slot right now. */
    public int queued() {
        return queued.get();
    }

    @Override
    public void deliver(Delivery delivery) {
        limited("deliver", () -> {
            super.deliver(delivery);
            return null;
        });
    }

    @Override
    public void verify(Delivery delivery) {
        limited("verify", () -> {
            super.verify(delivery);
            return null;
        });
    }

    @Override
    public void revoke(Revocation revocation) {
        limited("revoke", () -> {
            super.revoke(revocation);
            return null;
        });
    }

    @Override
    public void discard(Revocation revocation) {
        limited("discard", () -> {
            super.discard(revocation);
            return null;
        });
    }

    private <T> T limited(String operation, Supplier<T> call) {
        long start = waiting.nanoTime();
        OperationPermits.Permit permit = null;
        queued.incrementAndGet();
        queuedSeries.inc();
        try {
            if (permits != null) {
                permit = permits.acquire(maxWaitNanos);
                if (permit == null) {
                    throw busy(operation, "all " + permits.size() + " operation slots stayed in use");
                }
            }
            if (slots != null) {
                long delay = slots.reserve(maxWaitNanos - (waiting.nanoTime() - start));
                if (delay < 0) {
                    throw busy(operation, "the rate limit's queue is longer than the time left");
                }
                if (delay > 0) {
                    waiting.sleepNanos(delay);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (permit != null) {
                permit.release();
            }
            throw new TargetException("target '" + name() + "': interrupted while queued to " + operation, true, e);
        } catch (RuntimeException e) {
            if (permit != null) {
                permit.release();
            }
            throw e;
        } finally {
            queued.decrementAndGet();
            queuedSeries.dec();
        }
        waitSeries.observe((waiting.nanoTime() - start) / 1e9);
        try {
            return call.get();
        } finally {
            if (permit != null) {
                permit.release();
            }
        }
    }

    private TargetException busy(String operation, String why) {
        return new TargetException("target '" + name() + "' busy: could not " + operation + " within "
                + Duration.ofNanos(maxWaitNanos) + " (" + why + ")", true);
    }

    @Override
    public void close() {
        try {
            if (permits != null) {
                permits.close();
            }
        } finally {
            super.close();
        }
    }

    @Override
    public String toString() {
        return "LimitedTarget{" + name() + ", permits=" + permits + ", slots=" + slots + "}";
    }
}
