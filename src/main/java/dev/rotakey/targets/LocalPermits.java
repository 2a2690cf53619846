package dev.rotakey.targets;

import java.util.concurrent.Semaphore;

/** Concurrency permits of one process: a fair semaphore, so a queued operation is not overtaken indefinitely. */
public final class LocalPermits implements OperationPermits {
    private final int size;
    private final Semaphore permits;
    private final LimitedTarget.Waiting waiting;
    private final Permit permit;

    public LocalPermits(int size, LimitedTarget.Waiting waiting) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive");
        }
        this.size = size;
        this.permits = new Semaphore(size, true);
        this.waiting = waiting;
        this.permit = permits::release;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Permit acquire(long timeoutNanos) throws InterruptedException {
        return waiting.acquire(permits, timeoutNanos) ? permit : null;
    }

    @Override
    public String toString() {
        return "LocalPermits{size=" + size + "}";
    }
}
