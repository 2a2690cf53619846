package dev.rotakey.targets;

/** Start slots kept in this process: right for one node, which is the only one calling the target. */
public final class LocalStartSlots implements StartSlots {
    private final long intervalNanos;
    private final LimitedTarget.Waiting waiting;
    /** The earliest start of the next operation; guarded by {@code this}. */
    private long nextSlot;
    private boolean started;

    public LocalStartSlots(long intervalNanos, LimitedTarget.Waiting waiting) {
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("intervalNanos must be positive");
        }
        this.intervalNanos = intervalNanos;
        this.waiting = waiting;
    }

    @Override
    public synchronized long reserve(long budgetNanos) {
        long now = waiting.nanoTime();
        // A slot left unused in the past is not banked: an idle target gets no burst allowance.
        long slot = started && nextSlot - now > 0 ? nextSlot : now;
        long delay = slot - now;
        if (delay > budgetNanos) {
            return -1;
        }
        nextSlot = slot + intervalNanos;
        started = true;
        return delay;
    }

    @Override
    public String toString() {
        return "LocalStartSlots{intervalNanos=" + intervalNanos + "}";
    }
}
