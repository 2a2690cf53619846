package dev.rotakey.targets;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A target whose deliver, verify, revoke and discard calls queue for a fair concurrency permit
 * and an evenly spaced start slot, so that a mass rotation cannot overload the system behind it;
 * a call that would wait longer than {@code maxWait} fails as a retryable "target busy".
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

    private final int concurrency;
    private final Semaphore permits;
    private final long intervalNanos;
    private final long maxWaitNanos;
    private final Waiting waiting;
    private final AtomicInteger queued = new AtomicInteger();
    private final Timer waitTimer;
    /** The earliest start of the next operation when {@code perSecond} is set; guarded by {@code this}. */
    private long nextSlot;
    private boolean slotsStarted;

    /**
     * @param concurrency at most this many operations at once; 0 for no limit
     * @param perSecond at most this many operations started per second, evenly spaced; 0 for no limit
     * @param metrics receives {@code rotakey.target.<name>.queued} and {@code rotakey.target.<name>.wait}
     */
    public LimitedTarget(Target delegate, int concurrency, int perSecond, Duration maxWait, Waiting waiting,
                         MetricRegistry metrics) {
        super(delegate);
        if (concurrency < 0 || perSecond < 0 || maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("concurrency and perSecond must be >= 0 and maxWait positive");
        }
        this.concurrency = concurrency;
        // Fair, so that a queued rotation is not overtaken indefinitely by later ones.
        this.permits = concurrency > 0 ? new Semaphore(concurrency, true) : null;
        this.intervalNanos = perSecond > 0 ? TimeUnit.SECONDS.toNanos(1) / perSecond : 0;
        this.maxWaitNanos = maxWait.toNanos();
        this.waiting = waiting;
        String prefix = MetricRegistry.name("rotakey", "target", delegate.name());
        metrics.gauge(MetricRegistry.name(prefix, "queued"), () -> (Gauge<Integer>) queued::get);
        this.waitTimer = metrics.timer(MetricRegistry.name(prefix, "wait"));
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
        boolean permitted = false;
        queued.incrementAndGet();
        try {
            if (permits != null) {
                permitted = waiting.acquire(permits, maxWaitNanos);
                if (!permitted) {
                    throw busy(operation, "all " + concurrency + " operation slots stayed in use");
                }
            }
            if (intervalNanos > 0) {
                long now = waiting.nanoTime();
                long delay = reserveSlot(now, maxWaitNanos - (now - start));
                if (delay < 0) {
                    throw busy(operation, "the rate limit's queue is longer than the time left");
                }
                if (delay > 0) {
                    waiting.sleepNanos(delay);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (permitted) {
                permits.release();
            }
            throw new TargetException("target '" + name() + "': interrupted while queued to " + operation, true, e);
        } catch (RuntimeException e) {
            if (permitted) {
                permits.release();
            }
            throw e;
        } finally {
            queued.decrementAndGet();
        }
        waitTimer.update(waiting.nanoTime() - start, TimeUnit.NANOSECONDS);
        try {
            return call.get();
        } finally {
            if (permitted) {
                permits.release();
            }
        }
    }

    /**
     * Reserves the next start slot, spaced {@code intervalNanos} after the previous one; returns
     * how long to wait for it, or -1 (reserving nothing) when that would exceed {@code budgetNanos}.
     */
    private synchronized long reserveSlot(long now, long budgetNanos) {
        // A slot left unused in the past is not banked: an idle target gets no burst allowance.
        long slot = slotsStarted && nextSlot - now > 0 ? nextSlot : now;
        long delay = slot - now;
        if (delay > budgetNanos) {
            return -1;
        }
        nextSlot = slot + intervalNanos;
        slotsStarted = true;
        return delay;
    }

    private TargetException busy(String operation, String why) {
        return new TargetException("target '" + name() + "' busy: could not " + operation + " within "
                + Duration.ofNanos(maxWaitNanos) + " (" + why + ")", true);
    }

    @Override
    public String toString() {
        return "LimitedTarget{" + name() + ", concurrency=" + concurrency + ", intervalNanos=" + intervalNanos
                + "}";
    }
}
