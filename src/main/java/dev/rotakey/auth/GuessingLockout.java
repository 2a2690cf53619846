package dev.rotakey.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Locks out guessing: an address whose failed authentications reach {@code failures} within {@code window} is refused
 * for {@code duration}, before anything it presents is checked, so that guessing cannot go on behind it; other
 * addresses are not affected. Kept per node in memory, for at most {@value #MAX_ADDRESSES} addresses: when more fail
 * at once, those with nothing to remember are dropped first.
 */
public final class GuessingLockout {
    static final int MAX_ADDRESSES = 100_000;

    private final int failures;
    private final long windowMillis;
    private final long durationMillis;
    private final Clock clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** One address's failures in its current window, and until when it is locked out (0: not). */
    private static final class Entry {
        long windowStart;
        int count;
        long lockedUntil;
    }

    public GuessingLockout(int failures, Duration window, Duration duration, Clock clock) {
        if (failures < 1 || window.isNegative() || window.isZero() || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("failures, window and duration must be positive");
        }
        this.failures = failures;
        this.windowMillis = window.toMillis();
        this.durationMillis = duration.toMillis();
        this.clock = clock;
    }

    /** Seconds (at least 1) until {@code address} may try again, if it is locked out now. */
    public OptionalLong retryAfter(String address) {
        Entry e = entries.get(address);
        if (e == null) {
            return OptionalLong.empty();
        }
        long now = clock.millis();
        synchronized (e) {
            return e.lockedUntil > now ? OptionalLong.of(Math.max(1, (e.lockedUntil - now + 999) / 1000))
                    : OptionalLong.empty();
        }
    }

    /**
     * Counts a failed authentication from {@code address}.
     *
     * @return whether this failure locked the address out
     */
    public boolean failed(String address) {
        long now = clock.millis();
        if (entries.size() >= MAX_ADDRESSES && !entries.containsKey(address)) {
            forgetIdle(now);
        }
        Entry e = entries.computeIfAbsent(address, a -> new Entry());
        synchronized (e) {
            if (e.lockedUntil > now) {
                return false;
            }
            if (now - e.windowStart >= windowMillis) {
                e.windowStart = now;
                e.count = 0;
            }
            if (++e.count < failures) {
                return false;
            }
            e.lockedUntil = now + durationMillis;
            e.count = 0;
            return true;
        }
    }

    /** Drops the addresses neither locked out nor within a window; all of them if that is not enough. */
    private void forgetIdle(long now) {
        entries.entrySet().removeIf(x -> {
            synchronized (x.getValue()) {
                return x.getValue().lockedUntil <= now && now - x.getValue().windowStart >= windowMillis;
            }
        });
        if (entries.size() >= MAX_ADDRESSES) {
            // So many addresses failing at once: forgetting beats running out of memory.
            entries.clear();
        }
    }
}
