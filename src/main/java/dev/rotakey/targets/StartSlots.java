package dev.rotakey.targets;

/**
 * Where {@link LimitedTarget} takes the evenly spaced start slots of its {@code perSecond} limit from: this
 * process ({@link LocalStartSlots}) or, for a cluster, the database all nodes share ({@link DatabaseStartSlots}).
 */
public interface StartSlots {
    /**
     * Reserves the next free start slot if it begins within {@code budgetNanos}; returns how long the caller must
     * wait for it (0 or more), or -1, reserving nothing, when it would begin later than that.
     *
     * @throws TargetException (retryable) when the slots cannot be reached
     */
    long reserve(long budgetNanos);
}
