package dev.rotakey.core;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The consumers that must acknowledge a new version before the one it replaced is revoked, and the
 * longest a superseded version may wait for them ({@code revokeWhen: acknowledged}).
 */
public record AcknowledgementPolicy(List<String> consumers, Duration maxGracePeriod) {
    public static final int MAX_CONSUMERS = 32;
    /** Consumer names are identifiers: they appear in URLs, logs and audit details unescaped. */
    public static final Pattern CONSUMER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public AcknowledgementPolicy {
        consumers = List.copyOf(consumers);
        if (consumers.isEmpty() || consumers.size() > MAX_CONSUMERS) {
            throw new IllegalArgumentException("between 1 and " + MAX_CONSUMERS + " consumers are expected");
        }
        for (String c : consumers) {
            if (!CONSUMER_NAME.matcher(c).matches()) {
                throw new IllegalArgumentException("consumer name '" + c + "' is not an identifier");
            }
        }
        if (maxGracePeriod == null || maxGracePeriod.isNegative() || maxGracePeriod.isZero()) {
            throw new IllegalArgumentException("maxGracePeriod must be positive");
        }
    }
}
