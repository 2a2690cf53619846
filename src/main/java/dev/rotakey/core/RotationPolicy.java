package dev.rotakey.core;

import org.quartz.CronExpression;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.TimeZone;

/**
 * When a credential is due for rotation: a fixed interval ({@code every}, ISO-8601) or a Quartz
 * cron expression (UTC), shifted by a deterministic per-credential jitter so that a fleet created
 * together does not rotate in one burst; or {@code manual}: never on a schedule, only when an operator asks.
 */
public record RotationPolicy(Duration every, String cron, boolean manual) {

    /** The policy of a credential rotated only by operators: no interval, no cron, never due. */
    public static final RotationPolicy MANUAL = new RotationPolicy(null, null, true);

    public RotationPolicy {
        if (manual) {
            if (every != null || cron != null) {
                throw new IllegalArgumentException("a manual policy has neither every nor cron");
            }
        } else if ((every == null) == (cron == null)) {
            throw new IllegalArgumentException("exactly one of every and cron is required");
        }
        if (every != null && (every.isNegative() || every.isZero())) {
            throw new IllegalArgumentException("every must be positive");
        }
        if (cron != null && !CronExpression.isValidExpression(cron)) {
            throw new IllegalArgumentException("cron is not a valid Quartz cron expression");
        }
    }

    /** An interval or cron policy (exactly one of the two). */
    public RotationPolicy(Duration every, String cron) {
        this(every, cron, false);
    }

    public static RotationPolicy every(Duration every) {
        return new RotationPolicy(every, null);
    }

    public static RotationPolicy cron(String cron) {
        return new RotationPolicy(null, cron);
    }

    /**
     * The typical distance between two rotations: the interval, or for a cron policy the gap
     * between its next two fire times after {@code from}.
     */
    public Duration nominalInterval(Instant from) {
        if (manual) {
            return Duration.ZERO;
        }
        if (every != null) {
            return every;
        }
        CronExpression expr = expression();
        Date first = expr.getNextValidTimeAfter(Date.from(from));
        if (first == null) {
            return Duration.ZERO;
        }
        Date second = expr.getNextValidTimeAfter(first);
        return second == null ? Duration.ZERO : Duration.between(first.toInstant(), second.toInstant());
    }

    /**
     * The next due time after the rotation that completed (or the credential that was created) at
     * {@code last}, never before {@code now}'s schedule point, plus the credential's jitter.
     *
     * @param jitter fraction of the interval to spread over (0 disables jitter)
     * @param maxJitter upper bound of the spread
     * @return null for a manual policy (never due) or a cron expression that fires no more
     */
    public Instant nextDue(String credentialId, Instant last, double jitter, Duration maxJitter) {
        if (manual) {
            return null;
        }
        Instant base;
        if (every != null) {
            base = last.plus(every);
        } else {
            Date next = expression().getNextValidTimeAfter(Date.from(last));
            if (next == null) {
                return null;
            }
            base = next.toInstant();
        }
        Duration window = Duration.ofMillis((long) (nominalInterval(last).toMillis() * jitter));
        if (window.compareTo(maxJitter) > 0) {
            window = maxJitter;
        }
        long offset = (long) (window.toMillis() * jitterFraction(credentialId));
        return base.plusMillis(offset);
    }

    /** A value in [0, 1) that depends only on the credential id. */
    static double jitterFraction(String credentialId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(credentialId.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 7; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v / (double) (1L << 56);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private CronExpression expression() {
        try {
            CronExpression expr = new CronExpression(cron);
            expr.setTimeZone(TimeZone.getTimeZone("UTC"));
            return expr;
        } catch (ParseException e) {
            throw new IllegalArgumentException("cron is not a valid Quartz cron expression", e);
        }
    }
}
