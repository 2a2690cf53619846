package dev.rotakey.core;

import java.time.Duration;

/**
 * Exponential backoff with jitter for failing workflow steps: attempt {@code n} (1-based) waits
 * {@code min(maxBackoff, initialBackoff * multiplier^(n-1))}, of which a {@code jitter} fraction is
 * randomised so that many failing rotations do not retry in lock-step.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier, double jitter) {

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    /**
     * The delay before the attempt that follows failed attempt {@code attempt}.
     *
     * @param random a uniform value in [0, 1), injected so that tests are deterministic
     */
    public Duration backoff(int attempt, double random) {
        double base = initialBackoff.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
        double capped = Math.min(base, maxBackoff.toMillis());
        double withJitter = capped * (1.0 - jitter * random);
        return Duration.ofMillis(Math.max(1, Math.round(withJitter)));
    }

    /** Whether another attempt is allowed after {@code attempts} failed ones. */
    public boolean allowsAnotherAttempt(int attempts) {
        return attempts < maxAttempts;
    }
}
