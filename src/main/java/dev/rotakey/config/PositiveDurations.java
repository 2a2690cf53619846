package dev.rotakey.config;

import io.dropwizard.validation.selfvalidating.ViolationCollector;

import java.time.Duration;

/**
 * The one rule most durations in the configuration share (timeouts, intervals, back-offs): set, they must be longer
 * than zero. Dropwizard's {@code @MinDuration} applies to its own duration type only, not to {@code java.time}'s.
 */
public final class PositiveDurations {
    private PositiveDurations() {
    }

    /** Adds "must be positive" on {@code property} when {@code value} is set and zero or negative. */
    public static void check(ViolationCollector violations, String property, Duration value) {
        if (value != null && (value.isNegative() || value.isZero())) {
            violations.addViolation(property, "must be positive");
        }
    }
}
