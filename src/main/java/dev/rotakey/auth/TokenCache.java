package dev.rotakey.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rotakey.db.NotificationListener;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The operators of recently seen bearer tokens, by the token's SHA-256 digest (never the token), so that an
 * authenticated request costs no database look-up. Only tokens found active are kept, at most {@code maxSize} of
 * them: an unknown token is looked up every time and takes no room, so a flood of made-up tokens cannot fill memory.
 *
 * <p>Any change to the tokens drops every entry at once: on this node when its own change commits
 * ({@link #invalidateAll()}), and from other nodes through PostgreSQL's LISTEN/NOTIFY ({@link NotificationListener}
 * calls {@link #changed()}). An entry is used only while the cache is trusted: always on a single node (H2, whose
 * file no other process may open), and on PostgreSQL only while the listener is listening and has heard the database
 * within the trust window; otherwise every request looks its token up. Invalidation is by generation, so that a
 * look-up that read the database before a change can never leave a stale entry behind.
 */
public final class TokenCache implements NotificationListener.Subscriber {
    /** What was found for a digest, the generation it was read in, and when. */
    private record Entry(Optional<Operator> operator, long generation, long loadedAtMillis) {
    }

    private final Cache<String, Entry> entries;
    private final Clock clock;
    private final long maxAgeMillis;
    private final long trustMillis;
    private final AtomicLong generation = new AtomicLong();
    /** Clock millis before which entries may be used. */
    private volatile long trustedUntil;

    private TokenCache(Clock clock, int maxSize, Duration maxAge, Duration trustWindow, long trustedUntil) {
        this.clock = clock;
        this.maxAgeMillis = maxAge.toMillis();
        this.trustMillis = trustWindow.toMillis();
        this.trustedUntil = trustedUntil;
        // Maintenance (eviction) runs on the calling thread: bounded at once, and deterministic in tests.
        this.entries = Caffeine.newBuilder().maximumSize(maxSize).executor(Runnable::run).build();
    }

    /** For a single node: trusted from the start, invalidated only by this node's own changes. */
    public static TokenCache local(Clock clock, int maxSize, Duration maxAge) {
        return new TokenCache(clock, maxSize, maxAge, Duration.ZERO, Long.MAX_VALUE);
    }

    /**
     * For a node whose database others write: untrusted until a {@link NotificationListener} reports that it listens,
     * and trusted for {@code trustWindow} after each time it has heard from the database.
     */
    public static TokenCache listening(Clock clock, int maxSize, Duration maxAge, Duration trustWindow) {
        return new TokenCache(clock, maxSize, maxAge, trustWindow, Long.MIN_VALUE);
    }

    /** Never trusted: every request looks its token up. */
    public static TokenCache off() {
        return new TokenCache(Clock.systemUTC(), 1, Duration.ZERO, Duration.ZERO, Long.MIN_VALUE);
    }

    /**
     * The operator of the token with this digest: from the cache while trusted and fresh, otherwise from
     * {@code lookUp}, whose answer is kept when it found an active token.
     */
    public Optional<Operator> find(String digest, Function<String, Optional<Operator>> lookUp) {
        long now = clock.millis();
        boolean trusted = now < trustedUntil;
        // Read before the look-up: a change committed after this bumps the generation and outdates the entry.
        long current = generation.get();
        if (trusted) {
            Entry e = entries.getIfPresent(digest);
            if (e != null && e.generation() == current && now - e.loadedAtMillis() < maxAgeMillis) {
                return e.operator();
            }
        }
        Optional<Operator> found = lookUp.apply(digest);
        if (trusted && found.isPresent()) {
            entries.put(digest, new Entry(found, current, now));
        }
        return found;
    }

    /** Drops every entry, at once for every thread: a token was issued, replaced or revoked. */
    public void invalidateAll() {
        generation.incrementAndGet();
        entries.invalidateAll();
    }

    /** How many entries are held (they may include outdated ones not yet dropped); for tests and metrics. */
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
