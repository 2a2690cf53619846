package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.auth.TokenCache;
import dev.rotakey.db.NotificationListener;
import dev.rotakey.db.TokenDao;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.time.Clock;
import java.time.Duration;

/**
 * The {@code auth.tokenCache:} section: whether authenticated bearer tokens are remembered (by digest) so that a
 * request costs no database look-up, how many, for how long, and how often a node on PostgreSQL proves that it still
 * hears the other nodes' token changes (docs/security.md, "Token cache").
 */
public class TokenCacheFactory {
    private boolean enabled = true;

    @Min(1)
    @Max(1_000_000)
    private int maxSize = 10_000;

    @NotNull
    private Duration maxAge = Duration.ofMinutes(1);

    @NotNull
    private Duration heartbeat = Duration.ofSeconds(5);

    @JsonProperty
    public boolean isEnabled() {
        return enabled;
    }

    @JsonProperty
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @JsonProperty
    public int getMaxSize() {
        return maxSize;
    }

    @JsonProperty
    public void setMaxSize(int maxSize) {
        this.maxSize = maxSize;
    }

    @JsonProperty
    public Duration getMaxAge() {
        return maxAge;
    }

    @JsonProperty
    public void setMaxAge(Duration maxAge) {
        this.maxAge = maxAge;
    }

    @JsonProperty
    public Duration getHeartbeat() {
        return heartbeat;
    }

    @JsonProperty
    public void setHeartbeat(Duration heartbeat) {
        this.heartbeat = heartbeat;
    }

    @JsonIgnore
    @ValidationMethod(message = "auth.tokenCache.maxAge must be between PT1S and PT1H")
    public boolean isMaxAgeReasonable() {
        return maxAge == null || (maxAge.compareTo(Duration.ofSeconds(1)) >= 0 && maxAge.compareTo(Duration.ofHours(1)) <= 0);
    }

    @JsonIgnore
    @ValidationMethod(message = "auth.tokenCache.heartbeat must be between PT1S and PT1M")
    public boolean isHeartbeatReasonable() {
        return heartbeat == null
                || (heartbeat.compareTo(Duration.ofSeconds(1)) >= 0 && heartbeat.compareTo(Duration.ofMinutes(1)) <= 0);
    }

    /**
     * The cache of a node on this database: off when disabled; on PostgreSQL, trusted for two heartbeats after each
     * time its {@linkplain #listener listener} heard the database; on H2 (one node, which alone opens the file), local.
     */
    public TokenCache build(boolean postgres, Clock clock) {
        if (!enabled) {
            return TokenCache.off();
        }
        return postgres ? TokenCache.listening(clock, maxSize, maxAge, heartbeat.multipliedBy(2))
                : TokenCache.local(clock, maxSize, maxAge);
    }

    /** What tells {@code cache} of other nodes' token changes on PostgreSQL, over a connection of its own. */
    public NotificationListener listener(TokenCache cache, NotificationListener.ConnectionSource connections, Clock clock) {
        return new NotificationListener(TokenDao.CHANGES_CHANNEL, connections, cache, clock, heartbeat,
                Duration.ofSeconds(1));
    }
}
