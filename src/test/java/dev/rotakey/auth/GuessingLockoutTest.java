package dev.rotakey.auth;

import dev.rotakey.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The lock-out of guessing, on a test clock: the threshold, the window, the lock's length, one address apart. */
class GuessingLockoutTest {
    private final TestClock clock = new TestClock(Instant.parse("2026-12-06T00:00:00Z"));
    private final GuessingLockout lockout = new GuessingLockout(3, Duration.ofMinutes(1), Duration.ofMinutes(5), clock);

    @Test
    void anAddressIsLockedOutAtTheThresholdForTheDurationAndOthersAreNot() {
        assertThat(lockout.failed("10.0.0.1")).isFalse();
        assertThat(lockout.failed("10.0.0.1")).isFalse();
        assertThat(lockout.retryAfter("10.0.0.1")).isEmpty();

        assertThat(lockout.failed("10.0.0.1")).as("the third failure locks it").isTrue();

        assertThat(lockout.retryAfter("10.0.0.1")).hasValue(300);
        assertThat(lockout.retryAfter("10.0.0.2")).as("another address").isEmpty();
        clock.advance(Duration.ofSeconds(299).plusMillis(500));
        assertThat(lockout.retryAfter("10.0.0.1")).as("rounded up").hasValue(1);
        clock.advance(Duration.ofMillis(500));
        assertThat(lockout.retryAfter("10.0.0.1")).isEmpty();
    }

    @Test
    void failuresSpreadBeyondTheWindowDoNotAddUp() {
        lockout.failed("10.0.0.3");
        lockout.failed("10.0.0.3");
        clock.advance(Duration.ofMinutes(1));
        assertThat(lockout.failed("10.0.0.3")).isFalse();
        assertThat(lockout.failed("10.0.0.3")).isFalse();
        assertThat(lockout.retryAfter("10.0.0.3")).isEmpty();
        assertThat(lockout.failed("10.0.0.3")).isTrue();
    }

    @Test
    void aLockedOutAddressStartsAfreshOnceItsLockEnds() {
        for (int i = 0; i < 3; i++) {
            lockout.failed("10.0.0.4");
        }
        assertThat(lockout.failed("10.0.0.4")).as("already locked: not locked again").isFalse();
        clock.advance(Duration.ofMinutes(5));
        assertThat(lockout.retryAfter("10.0.0.4")).isEmpty();
        assertThat(lockout.failed("10.0.0.4")).isFalse();
        assertThat(lockout.retryAfter("10.0.0.4")).isEmpty();
    }
}
