package dev.rotakey.auth;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many failed authentications from one address are written to the audit trail per minute:
 * enough to see an attack, not so many that a flood of bad tokens fills the database. The rest
 * are only counted.
 */
public final class FailureBudget {
    private static final int MAX_ADDRESSES = 10_000;

    private final int perMinute;
    private final Clock clock;
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private volatile long minute;

    public FailureBudget(int perMinute, Clock clock) {
        this.perMinute = perMinute;
        this.clock = clock;
    }

    /** Whether this failure from {@code address} should be audited. */
    public boolean allow(String address) {
        long now = clock.millis() / 60_000;
        if (now != minute || counts.size() > MAX_ADDRESSES) {
            counts.clear();
            minute = now;
        }
        return counts.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet() <= perMinute;
    }
}
