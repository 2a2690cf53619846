package dev.rotakey.targets;

import dev.rotakey.db.Store;
import dev.rotakey.db.TargetRateSlotDao;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Start slots of a {@code perSecond} limit shared by every node of a cluster: each reservation is one statement on
 * the shared PostgreSQL database ({@link TargetRateSlotDao}), timed by the database's clock, so three nodes together
 * start no more operations per second than one node would.
 */
public final class DatabaseStartSlots implements StartSlots {
    private final Store store;
    private final String target;
    private final long intervalMicros;

    /** @param perSecond at most this many starts per second across the cluster (rounded to whole microseconds, up) */
    public DatabaseStartSlots(Store store, String target, int perSecond) {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("perSecond must be positive");
        }
        this.store = store;
        this.target = target;
        // Rounded up, so that rounding never lets more than perSecond through.
        this.intervalMicros = (TimeUnit.SECONDS.toMicros(1) + perSecond - 1) / perSecond;
    }

    @Override
    public long reserve(long budgetNanos) {
        if (budgetNanos < 0) {
            return -1;
        }
        Optional<TargetRateSlotDao.Reservation> reserved;
        try {
            // One autocommitted statement, atomic on its own: a transaction around it would only add round trips.
            reserved = store.read(d -> d.targetRateSlots().reserve(target, intervalMicros,
                    TimeUnit.NANOSECONDS.toMicros(budgetNanos)));
        } catch (RuntimeException e) {
            // Never an unlimited call: the operation fails as retryable and the rotation backs off.
            throw new TargetException("target '" + target + "' busy: cannot reach the rate limiter in the database ("
                    + e.getClass().getSimpleName() + ")", true, e);
        }
        return reserved.map(r -> r.delay().toNanos()).orElse(-1L);
    }

    @Override
    public String toString() {
        return "DatabaseStartSlots{" + target + ", intervalMicros=" + intervalMicros + "}";
    }
}
