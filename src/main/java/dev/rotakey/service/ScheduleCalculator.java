package dev.rotakey.service;

import dev.rotakey.config.RotationFactory;
import dev.rotakey.core.Credential;

import java.time.Duration;
import java.time.Instant;

/** Works out when a credential is next due, applying the configured jitter. */
public final class ScheduleCalculator {
    private final double jitter;
    private final Duration maxJitter;
    private final Duration retryFailedAfter;

    public ScheduleCalculator(double jitter, Duration maxJitter, Duration retryFailedAfter) {
        this.jitter = jitter;
        this.maxJitter = maxJitter;
        this.retryFailedAfter = retryFailedAfter;
    }

    public static ScheduleCalculator from(RotationFactory f) {
        return new ScheduleCalculator(f.getJitter(), f.getMaxJitter(), f.getRetryFailedAfter());
    }

    /** The next rotation after one that completed at {@code last}. */
    public Instant nextDue(Credential c, Instant last) {
        return c.policy().nextDue(c.id(), last, jitter, maxJitter);
    }

    /**
     * When a credential whose due rotation failed at {@code now} is tried again: soon, never later than its interval;
     * never (null) for a manual one.
     */
    public Instant retryAfterFailure(Credential c, Instant now) {
        if (c.policy().manual()) {
            // Nothing schedules a manual credential, not even a retry: the operator who asked sees the failure.
            return null;
        }
        Duration interval = c.policy().nominalInterval(now);
        Duration wait = interval.isZero() || retryFailedAfter.compareTo(interval) < 0 ? retryFailedAfter : interval;
        return now.plus(wait);
    }
}
