package dev.rotakey.targets;

/**
 * Where {@link LimitedTarget} takes the permits of its {@code concurrency} limit from: a semaphore in this
 * process ({@link LocalPermits}) or, for a cluster, advisory locks of the shared PostgreSQL database
 * ({@link AdvisoryLockPermits}).
 */
public interface OperationPermits extends AutoCloseable {

    /** One operation's right to run; released exactly once, after the operation. */
    interface Permit {
        /** Gives the permit back; never throws, as it runs after the operation whose outcome must not be masked. */
        void release();
    }

    /** How many operations may run at once. */
    int size();

    /**
     * Takes a permit, waiting at most {@code timeoutNanos}; null when none was freed in time.
     *
     * @throws TargetException (retryable) when the permits cannot be reached
     */
    Permit acquire(long timeoutNanos) throws InterruptedException;

    @Override
    default void close() {
    }
}
