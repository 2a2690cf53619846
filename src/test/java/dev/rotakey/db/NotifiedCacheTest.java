package dev.rotakey.db;

import dev.rotakey.auth.Operator;
import dev.rotakey.auth.OperatorTokens;
import dev.rotakey.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache of database answers (bearer tokens here): what it keeps, for how long, what empties it, and when it may be trusted at all. */
class NotifiedCacheTest {
    private static final Duration MAX_AGE = Duration.ofMinutes(1);
    private static final Duration TRUST = Duration.ofSeconds(10);
    private static final Operator ALICE = new Operator("alice", OperatorTokens.ADMIN);

    private final TestClock clock = TestClock.at("2026-12-06T10:00:00Z");
    /** The database: digest to operator; every look-up is counted. */
    private final Map<String, Operator> active = new HashMap<>(Map.of("d-alice", ALICE));
    private final AtomicInteger lookUps = new AtomicInteger();
    private final Function<String, Optional<Operator>> database = digest -> {
        lookUps.incrementAndGet();
        return Optional.ofNullable(active.get(digest));
    };

    @Test
    void anActiveTokenIsLookedUpOnceWhileFresh() {
        NotifiedCache<String, Operator> cache = NotifiedCache.local(clock, 100, MAX_AGE);

        assertThat(cache.find("d-alice", database)).contains(ALICE);
        clock.advance(MAX_AGE.minusSeconds(1));
        assertThat(cache.find("d-alice", database)).contains(ALICE);

        assertThat(lookUps).hasValue(1);
    }

    @Test
    void anEntryOlderThanMaxAgeIsLookedUpAgain() {
        NotifiedCache<String, Operator> cache = NotifiedCache.local(clock, 100, MAX_AGE);
        cache.find("d-alice", database);

        clock.advance(MAX_AGE);
        active.remove("d-alice");

        assertThat(cache.find("d-alice", database)).isEmpty();
        assertThat(lookUps).hasValue(2);
    }

    @Test
    void unknownTokensAreLookedUpEveryTimeAndTakeNoRoom() {
        NotifiedCache<String, Operator> cache = NotifiedCache.local(clock, 100, MAX_AGE);

        for (int i = 0; i < 1_000; i++) {
            assertThat(cache.find("d-made-up-" + i, database)).isEmpty();
            assertThat(cache.find("d-made-up-" + i, database)).isEmpty();
        }

        assertThat(lookUps).hasValue(2_000);
        assertThat(cache.size()).isZero();
    }

    @Test
    void maxSizeBoundsTheEntries() {
        for (int i = 0; i < 500; i++) {
            active.put("d-" + i, new Operator("op-" + i, OperatorTokens.VERIFIER));
        }
        NotifiedCache<String, Operator> cache = NotifiedCache.local(clock, 50, MAX_AGE);

        for (int i = 0; i < 500; i++) {
            cache.find("d-" + i, database);
        }

        assertThat(cache.size()).isLessThanOrEqualTo(50);
    }

    @Test
    void invalidateAllMakesEveryTokenBeLookedUpAgain() {
        NotifiedCache<String, Operator> cache = NotifiedCache.local(clock, 100, MAX_AGE);
        cache.find("d-alice", database);

        active.remove("d-alice");
        cache.invalidateAll();

        assertThat(cache.find("d-alice", database)).isEmpty();
        assertThat(cache.size()).isZero();
    }

    /** A revocation that commits while a look-up is reading the database must not leave the look-up's answer behind. */
    @Test
    void aLookUpOverlappingAChangeLeavesNothingStale() {
        NotifiedCache<String, Operator> cache = NotifiedCache.local(clock, 100, MAX_AGE);
        Function<String, Optional<Operator>> readThenRevoked = digest -> {
            Optional<Operator> read = database.apply(digest);
            // The revocation commits (and invalidates) after this read saw the token active.
            active.remove(digest);
            cache.invalidateAll();
            return read;
        };

        assertThat(cache.find("d-alice", readThenRevoked)).contains(ALICE);

        assertThat(cache.find("d-alice", database)).isEmpty();
    }

    @Test
    void aListeningCacheIsNotUsedUntilItsListenerHasHeardTheDatabase() {
        NotifiedCache<String, Operator> cache = NotifiedCache.listening(clock, 100, MAX_AGE, TRUST);
        cache.find("d-alice", database);
        cache.find("d-alice", database);
        assertThat(lookUps).hasValue(2);

        cache.changed();
        cache.heardAt(clock.millis());
        cache.find("d-alice", database);
        cache.find("d-alice", database);

        assertThat(lookUps).hasValue(3);
    }

    @Test
    void aListeningCacheStopsBeingUsedWhenItsListenerFallsSilent() {
        NotifiedCache<String, Operator> cache = NotifiedCache.listening(clock, 100, MAX_AGE, TRUST);
        cache.heardAt(clock.millis());
        cache.find("d-alice", database);

        clock.advance(TRUST);
        cache.find("d-alice", database);
        cache.find("d-alice", database);
        assertThat(lookUps).hasValue(3);

        // Heard again: the entry kept from before is good, since no change was notified meanwhile.
        cache.heardAt(clock.millis());
        assertThat(cache.find("d-alice", database)).contains(ALICE);
        assertThat(lookUps).hasValue(3);
    }

    @Test
    void aNotificationEmptiesTheCache() {
        NotifiedCache<String, Operator> cache = NotifiedCache.listening(clock, 100, MAX_AGE, TRUST);
        cache.heardAt(clock.millis());
        cache.find("d-alice", database);

        active.remove("d-alice");
        cache.changed();

        assertThat(cache.find("d-alice", database)).isEmpty();
    }

    @Test
    void aLostListenerEmptiesTheCacheAndTurnsItOffUntilItListensAgain() {
        NotifiedCache<String, Operator> cache = NotifiedCache.listening(clock, 100, MAX_AGE, TRUST);
        cache.heardAt(clock.millis());
        cache.find("d-alice", database);

        cache.lost();
        assertThat(cache.size()).isZero();
        cache.find("d-alice", database);
        cache.find("d-alice", database);
        assertThat(lookUps).hasValue(3);
        assertThat(cache.size()).isZero();

        cache.changed();
        cache.heardAt(clock.millis());
        cache.find("d-alice", database);
        cache.find("d-alice", database);
        assertThat(lookUps).hasValue(4);
    }

    @Test
    void anOffCacheLooksEveryTokenUp() {
        NotifiedCache<String, Operator> cache = NotifiedCache.off();
        cache.heardAt(System.currentTimeMillis());

        cache.find("d-alice", database);
        cache.find("d-alice", database);

        assertThat(lookUps).hasValue(2);
        assertThat(cache.size()).isZero();
    }
}
