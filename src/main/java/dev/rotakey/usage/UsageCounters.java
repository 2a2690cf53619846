package dev.rotakey.usage;

import dev.rotakey.core.VersionState;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The uses counted since the last flush, in memory and in bounded space: one counter per (credential, version, hour,
 * relying service, source network). Counting is lock-free (a map look-up and striped adders); the flusher
 * {@linkplain #drain() swaps the window out} and waits for the counts already begun in it, so none is lost or counted
 * twice.
 *
 * <p>Past {@code maxKeys} distinct counters, a use is counted under its credential's {@link #OTHER} service and
 * network ({@code folded}); those fold counters may take an eighth of {@code maxKeys} more, and past that a use is
 * only counted as {@code lost}.
 */
public final class UsageCounters {
    /** The service or network a use is counted under once the bounds are reached. */
    public static final String OTHER = "(other)";
    /** How finely a counter's last use (its time, source, version state) is kept. */
    static final long LAST_USE_RESOLUTION_MILLIS = 1_000;

    /** What one counter counts. The hour is in hours since the epoch (UTC). */
    public record Key(String credentialId, int version, long hour, String service, String network) {
    }

    /**
     * One counter's counts, and what anomaly detection needs of the uses: whose credential it is, the version's state
     * and {@code revokeAfter} at its last use, and when a PREVIOUS version was last allowed close to its revocation.
     */
    public static final class Counts {
        final LongAdder uses = new LongAdder();
        final LongAdder denied = new LongAdder();
        final String agentId;
        final String owner;
        volatile long lastAtMillis;
        volatile String lastSource;
        volatile VersionState state;
        volatile Instant revokeAfter;
        /** Epoch millis of the last allowed use of a PREVIOUS version within {@code previousWarning} of its revokeAfter; 0: none. */
        volatile long previousLateAtMillis;

        Counts(String agentId, String owner) {
            this.agentId = agentId;
            this.owner = owner;
        }

        public long uses() {
            return uses.sum();
        }

        public long denied() {
            return denied.sum();
        }

        public String agentId() {
            return agentId;
        }

        public String owner() {
            return owner;
        }

        public Instant lastAt() {
            return Instant.ofEpochMilli(lastAtMillis);
        }

        public String lastSource() {
            return lastSource;
        }

        public VersionState state() {
            return state;
        }

        public Instant revokeAfter() {
            return revokeAfter;
        }

        /** When a PREVIOUS version was last allowed shortly before its revocation, or null. */
        public Instant previousLateAt() {
            long at = previousLateAtMillis;
            return at == 0 ? null : Instant.ofEpochMilli(at);
        }
    }

    /** The counters of one flush interval, and the uses being counted in it right now. */
    private static final class Window {
        final ConcurrentHashMap<Key, Counts> counts = new ConcurrentHashMap<>();
        final AtomicInteger size = new AtomicInteger();
        final LongAdder inFlight = new LongAdder();
    }

    private final int maxKeys;
    private final int maxFoldKeys;
    private volatile Window current = new Window();
    private final LongAdder folded = new LongAdder();
    private final LongAdder lost = new LongAdder();

    public UsageCounters(int maxKeys) {
        this.maxKeys = maxKeys;
        this.maxFoldKeys = Math.max(16, maxKeys / 8);
    }

    /**
     * Counts one use.
     *
     * @param previousLate whether it is an allowed use of a PREVIOUS version close to its revocation
     */
    public void add(CredentialUse use, long hour, String service, String network, String source, boolean previousLate) {
        Window w;
        while (true) {
            w = current;
            w.inFlight.increment();
            // Re-read after announcing: either the flusher sees this use in flight, or this use sees the new window.
            if (w == current) {
                break;
            }
            w.inFlight.decrement();
        }
        try {
            Counts c = counter(w, new Key(use.credentialId(), use.version(), hour, service, network), use);
            if (c == null) {
                lost.increment();
                return;
            }
            c.uses.increment();
            if (!use.allowed()) {
                c.denied.increment();
            }
            long at = use.at().toEpochMilli();
            // The last use to the second: a hot credential's threads would otherwise all write these shared fields at
            // every use, and the cache line they share would cost every verification. Racy, which is good enough.
            if (at >= c.lastAtMillis + LAST_USE_RESOLUTION_MILLIS) {
                c.lastAtMillis = at;
                c.lastSource = source;
                c.state = use.state();
                c.revokeAfter = use.revokeAfter();
            }
            if (previousLate && at > c.previousLateAtMillis) {
                c.previousLateAtMillis = at;
            }
        } finally {
            w.inFlight.decrement();
        }
    }

    private Counts counter(Window w, Key key, CredentialUse use) {
        Counts c = w.counts.get(key);
        if (c != null) {
            return c;
        }
        if (w.size.get() < maxKeys) {
            return w.counts.computeIfAbsent(key, k -> {
                w.size.incrementAndGet();
                return new Counts(use.agentId(), use.owner());
            });
        }
        Key fold = new Key(key.credentialId(), key.version(), key.hour(), OTHER, OTHER);
        c = w.counts.get(fold);
        if (c == null && w.size.get() < maxKeys + maxFoldKeys) {
            c = w.counts.computeIfAbsent(fold, k -> {
                w.size.incrementAndGet();
                return new Counts(use.agentId(), use.owner());
            });
        }
        if (c != null) {
            folded.increment();
        }
        return c;
    }

    /** Takes the counts since the last drain, once every use begun in them has been counted; a new window starts. */
    public Map<Key, Counts> drain() {
        Window old = current;
        current = new Window();
        while (old.inFlight.sum() != 0) {
            // A few adds finishing: nanoseconds, a map insertion at worst.
            Thread.onSpinWait();
        }
        return old.counts;
    }

    /** Distinct counters in the current window. */
    public int size() {
        return current.size.get();
    }

    /** Uses counted under a credential's {@link #OTHER} bucket because the window was full. */
    public long folded() {
        return folded.sum();
    }

    /** Uses not counted at all: the window and its fold counters were full. */
    public long lost() {
        return lost.sum();
    }
}
