package dev.rotakey.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RetryPolicy}: exponential backoff, its cap, jitter bounds, the 1 ms floor, and the attempt limit. */
class RetryPolicyTest {
    private static final double ALMOST_ONE = Math.nextDown(1.0);

    private static RetryPolicy policy(int maxAttempts, Duration initial, Duration max, double multiplier, double jitter) {
        return new RetryPolicy(maxAttempts, initial, max, multiplier, jitter);
    }

    @Test
    void growsExponentiallyFromTheInitialBackoff() {
        RetryPolicy p = policy(10, Duration.ofSeconds(2), Duration.ofHours(1), 2.0, 0.5);

        assertThat(p.backoff(1, 0.0)).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.backoff(2, 0.0)).isEqualTo(Duration.ofSeconds(4));
        assertThat(p.backoff(3, 0.0)).isEqualTo(Duration.ofSeconds(8));
        assertThat(p.backoff(4, 0.0)).isEqualTo(Duration.ofSeconds(16));
        assertThat(p.backoff(8, 0.0)).isEqualTo(Duration.ofSeconds(256));
    }

    @Test
    void followsTheMultiplier() {
        RetryPolicy p = policy(10, Duration.ofMillis(100), Duration.ofHours(1), 3.0, 0.0);

        assertThat(p.backoff(1, 0.0)).isEqualTo(Duration.ofMillis(100));
        assertThat(p.backoff(2, 0.0)).isEqualTo(Duration.ofMillis(300));
        assertThat(p.backoff(3, 0.0)).isEqualTo(Duration.ofMillis(900));
        assertThat(p.backoff(4, 0.0)).isEqualTo(Duration.ofMillis(2700));
    }

    @Test
    void aMultiplierOfOneIsAConstantDelay() {
        RetryPolicy p = policy(10, Duration.ofSeconds(3), Duration.ofMinutes(5), 1.0, 0.0);
        for (int attempt = 1; attempt <= 10; attempt++) {
            assertThat(p.backoff(attempt, 0.0)).isEqualTo(Duration.ofSeconds(3));
        }
    }

    @Test
    void attemptZeroOrLessWaitsTheInitialBackoff() {
        RetryPolicy p = policy(10, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.5);
        assertThat(p.backoff(0, 0.0)).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.backoff(-3, 0.0)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void isCappedAtMaxBackoff() {
        RetryPolicy p = policy(100, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.5);

        assertThat(p.backoff(8, 0.0)).isEqualTo(Duration.ofSeconds(256));
        assertThat(p.backoff(9, 0.0)).isEqualTo(Duration.ofMinutes(5));
        assertThat(p.backoff(10, 0.0)).isEqualTo(Duration.ofMinutes(5));
        // Far beyond the cap (2^1999 overflows a double to infinity): still the cap.
        assertThat(p.backoff(2000, 0.0)).isEqualTo(Duration.ofMinutes(5));
        assertThat(p.backoff(Integer.MAX_VALUE, 0.0)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void anInitialBackoffAboveTheCapIsCapped() {
        RetryPolicy p = policy(3, Duration.ofMinutes(10), Duration.ofMinutes(5), 2.0, 0.0);
        assertThat(p.backoff(1, 0.0)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void jitterZeroRandomIsTheFullDelay() {
        RetryPolicy p = policy(10, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.5);
        assertThat(p.backoff(3, 0.0)).isEqualTo(Duration.ofSeconds(8));
    }

    @Test
    void jitterRandomNearOneTakesOffTheWholeJitterFraction() {
        RetryPolicy p = policy(10, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.5);
        assertThat(p.backoff(3, ALMOST_ONE)).isEqualTo(Duration.ofSeconds(4));
        assertThat(p.backoff(20, ALMOST_ONE)).isEqualTo(Duration.ofSeconds(150));

        RetryPolicy quarter = policy(10, Duration.ofSeconds(4), Duration.ofMinutes(5), 2.0, 0.25);
        assertThat(quarter.backoff(1, ALMOST_ONE)).isEqualTo(Duration.ofSeconds(3));
        assertThat(quarter.backoff(1, 0.5)).isEqualTo(Duration.ofMillis(3500));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.1, 0.3, 0.5, 0.9, 1.0})
    void jitteredDelaysStayWithinBounds(double jitter) {
        RetryPolicy p = policy(20, Duration.ofMillis(500), Duration.ofMinutes(2), 2.0, jitter);
        Random random = new Random(42);
        for (int attempt = 1; attempt <= 20; attempt++) {
            long full = p.backoff(attempt, 0.0).toMillis();
            long lowest = Math.max(1, Math.round(full * (1.0 - jitter)));
            for (int i = 0; i < 200; i++) {
                long d = p.backoff(attempt, random.nextDouble()).toMillis();
                assertThat(d).as("attempt %d", attempt).isBetween(lowest, full);
            }
        }
    }

    @Test
    void withoutJitterTheRandomValueDoesNotMatter() {
        RetryPolicy p = policy(10, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.0);
        assertThat(p.backoff(2, 0.0)).isEqualTo(p.backoff(2, 0.7)).isEqualTo(p.backoff(2, ALMOST_ONE));
    }

    @Test
    void neverZero() {
        assertThat(policy(3, Duration.ZERO, Duration.ofMinutes(5), 2.0, 0.5).backoff(1, 0.0)).isEqualTo(Duration.ofMillis(1));
        assertThat(policy(3, Duration.ofNanos(10), Duration.ofMinutes(5), 2.0, 0.0).backoff(1, 0.0)).isEqualTo(Duration.ofMillis(1));
        assertThat(policy(3, Duration.ofMillis(1), Duration.ofMinutes(5), 2.0, 1.0).backoff(1, ALMOST_ONE)).isEqualTo(Duration.ofMillis(1));
        assertThat(policy(3, Duration.ofSeconds(1), Duration.ofMinutes(5), 2.0, 1.0).backoff(1, ALMOST_ONE))
                .isPositive();
        assertThat(policy(3, Duration.ofSeconds(1), Duration.ZERO, 2.0, 0.0).backoff(2, 0.0)).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void allowsAnotherAttemptUntilMaxAttempts() {
        RetryPolicy p = policy(3, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.5);
        assertThat(p.allowsAnotherAttempt(0)).isTrue();
        assertThat(p.allowsAnotherAttempt(1)).isTrue();
        assertThat(p.allowsAnotherAttempt(2)).isTrue();
        assertThat(p.allowsAnotherAttempt(3)).isFalse();
        assertThat(p.allowsAnotherAttempt(4)).isFalse();
    }

    @Test
    void aSingleAttemptAllowsNoRetry() {
        RetryPolicy p = policy(1, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.5);
        assertThat(p.allowsAnotherAttempt(0)).isTrue();
        assertThat(p.allowsAnotherAttempt(1)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void atLeastOneAttempt(int maxAttempts) {
        assertThatThrownBy(() -> policy(maxAttempts, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxAttempts");
    }
}
