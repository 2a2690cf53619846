package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.db.NotificationListener;
import dev.rotakey.db.NotifiedCache;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The {@code cache:} section: whether the answers of the two hot requests, a bearer token's operator and a presented
 * API key's version, are kept (by digest) so that a request costs no database look-up; how many, for how long; and how
 * often a node on PostgreSQL proves that it still hears the changes the other nodes make (docs/design.md, "Caches").
 */
public class CacheFactory {
    private boolean enabled = true;

    @Min(1)
    @Max(1_000_000)
    private int maxTokens = 10_000;

    @Min(1)
    @Max(1_000_000)
    private int maxApiKeys = 10_000;

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
    public int getMaxTokens() {
        return maxTokens;
    }

    @JsonProperty
    public void setMaxTokens(int maxTokens) {
        this.maxTokens = maxTokens;
    }

    @JsonProperty
    public int getMaxApiKeys() {
        return maxApiKeys;
    }

    @JsonProperty
    public void setMaxApiKeys(int maxApiKeys) {
        this.maxApiKeys = maxApiKeys;
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
    @ValidationMethod(message = "cache.maxAge must be between PT1S and PT1H")
    public boolean isMaxAgeReasonable() {
        return maxAge == null || (maxAge.compareTo(Duration.ofSeconds(1)) >= 0 && maxAge.compareTo(Duration.ofHours(1)) <= 0);
    }

    @JsonIgnore
    @ValidationMethod(message = "cache.heartbeat must be between PT1S and PT1M")
    public boolean isHeartbeatReasonable() {
        return heartbeat == null
                || (heartbeat.compareTo(Duration.ofSeconds(1)) >= 0 && heartbeat.compareTo(Duration.ofMinutes(1)) <= 0);
    }

    /**
     * A cache of at most {@code maxSize} answers for a node on this database: off when disabled; on PostgreSQL,
     * trusted for two heartbeats after each time the {@linkplain #listener listener} heard the database; on H2 (one
     * node, which alone opens the file), trusted always.
     */
    public <K, V> NotifiedCache<K, V> build(int maxSize, boolean postgres, Clock clock) {
        if (!enabled) {
            return NotifiedCache.off();
        }
        return postgres ? NotifiedCache.listening(clock, maxSize, maxAge, heartbeat.multipliedBy(2))
                : NotifiedCache.local(clock, maxSize, maxAge);
    }

    /** What tells the caches of other nodes' changes on PostgreSQL, over a connection of its own. */
    public NotificationListener listener(Map<String, NotificationListener.Subscriber> byChannel,
                                         NotificationListener.ConnectionSource connections, Clock clock) {
        return new NotificationListener(byChannel, connections, clock, heartbeat, Duration.ofSeconds(1));
    }
}
