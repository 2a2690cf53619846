package dev.rotakey.db;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Answers read from the database, kept so that a hot request (a bearer token's operator, a presented API key's
 * version) costs no round trip, and dropped all at once whenever the data they came from may have changed: by this
 * node when its own change commits ({@link #invalidateAll()}), and from other nodes and tools through PostgreSQL's
 * LISTEN/NOTIFY ({@link NotificationListener} calls {@link #changed()}). Only answers that found something are kept,
 * at most {@code maxSize} of them: a key that finds nothing is looked up every time and takes no room, so a flood of
 * made-up keys cannot fill memory.
 *
 * <p>Entries are used only while the cache is trusted: always on a single node (H2, whose file no other process may
 * open), and on PostgreSQL only while the listener listens and has heard the database within the trust window;
 * otherwise every request reads the database. Invalidation is by generation, read before each look-up, so that a
 * look-up that read the database before a change can never leave a stale answer behind (docs/design.md, "Caches").
 *
 * @param <K> the key: a digest, never a secret
 * @param <V> the answer
 */
public final class NotifiedCache<K, V> implements NotificationListener.Subscriber {
    /** What was found, the generation it was read in, and when. */
    private record Entry<V>(Optional<V> value, long generation, long loadedAtMillis) {
    }

    private final Cache<K, Entry<V>> entries;
    private final Clock clock;
    private final long maxAgeMillis;
    private final long trustMillis;
    private final AtomicLong generation = new AtomicLong();
    /** Clock millis before which entries may be used. */
    private volatile long trustedUntil;

    private NotifiedCache(Clock clock, int maxSize, Duration maxAge, Duration trustWindow, long trustedUntil) {
        this.clock = clock;
        this.maxAgeMillis = maxAge.toMillis();
        this.trustMillis = trustWindow.toMillis();
        this.trustedUntil = trustedUntil;
        // Maintenance (eviction) runs on the calling thread: bounded at once, and deterministic in tests.
        this.entries = Caffeine.newBuilder().maximumSize(maxSize).executor(Runnable::run).build();
    }

    /** For a single node: trusted from the start, invalidated only by this node's own changes. */
    public static <K, V> NotifiedCache<K, V> local(Clock clock, int maxSize, Duration maxAge) {
        return new NotifiedCache<>(clock, maxSize, maxAge, Duration.ZERO, Long.MAX_VALUE);
    }

    /**
     * For a node whose database others write: untrusted until a {@link NotificationListener} reports that it listens,
     * and trusted for {@code trustWindow} after each time it has heard from the database.
     */
    public static <K, V> NotifiedCache<K, V> listening(Clock clock, int maxSize, Duration maxAge, Duration trustWindow) {
        return new NotifiedCache<>(clock, maxSize, maxAge, trustWindow, Long.MIN_VALUE);
    }

    /** Never trusted: every request reads the database. */
    public static <K, V> NotifiedCache<K, V> off() {
        return new NotifiedCache<>(Clock.systemUTC(), 1, Duration.ZERO, Duration.ZERO, Long.MIN_VALUE);
    }

    /**
     * The answer for {@code key}: from the cache while trusted and fresh, otherwise from {@code lookUp}, whose answer
     * is kept when it found something. {@code key} must not change afterwards.
     */
    public Optional<V> find(K key, Function<K, Optional<V>> lookUp) {
        long now = clock.millis();
        boolean trusted = now < trustedUntil;
        // Read before the look-up: a change committed after this advances the generation and outdates the entry.
        long current = generation.get();
        if (trusted) {
            Entry<V> e = entries.getIfPresent(key);
            if (e != null && e.generation() == current && now - e.loadedAtMillis() < maxAgeMillis) {
                return e.value();
            }
        }
        Optional<V> found = lookUp.apply(key);
        if (trusted && found.isPresent()) {
            entries.put(key, new Entry<>(found, current, now));
        }
        return found;
    }

    /** Drops every entry, at once for every thread: the data they were read from may have changed. */
    public void invalidateAll() {
        generation.incrementAndGet();
        entries.invalidateAll();
    }

    /** How many entries are held (they may include outdated ones not yet dropped); for tests. */
    public long size() {
        entries.cleanUp();
        return entries.estimatedSize();
    }

    @Override
    public void changed() {
        invalidateAll();
    }

    /** Called by the listener's one thread, as are {@link #changed()} and {@link #lost()}: no two at once. */
    @Override
    public void heardAt(long millis) {
        if (trustMillis > 0) {
            trustedUntil = Math.max(trustedUntil, millis + trustMillis);
        }
    }

    @Override
    public void lost() {
        trustedUntil = Long.MIN_VALUE;
        invalidateAll();
    }
}
