package dev.rotakey.audit.stream;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.rotakey.config.PositiveDurations;
import io.dropwizard.jackson.Discoverable;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.time.Duration;

/**
 * Configuration of one SIEM export stream under {@code audit.streams}, chosen by its {@code type} ({@code syslog},
 * {@code ocsf-file}, {@code ocsf-http}), with what every stream has: a {@code name} (its cursor's key: renaming a
 * stream starts it again), where a new stream starts, how many events go at once, how often it looks for new
 * events, how long it backs off at most after a failure, and how long it may lag before it alerts.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@SelfValidating
public abstract class AuditStreamFactory implements Discoverable {
    /** Where a stream seen for the first time starts: the whole trail, or events recorded from now on. */
    public enum StartAt { BEGINNING, NOW }

    @NotNull
    @Pattern(regexp = "[a-z0-9][a-z0-9_-]{0,63}", message = "must be 1 to 64 of a-z, 0-9, '_' and '-'")
    private String name;
    @NotNull
    private StartAt startAt = StartAt.BEGINNING;
    @Min(1)
    @Max(10_000)
    private int batchSize = 500;
    @NotNull
    private Duration interval = Duration.ofSeconds(1);
    @NotNull
    private Duration maxBackoff = Duration.ofMinutes(1);
    @NotNull
    private Duration lagAlertAfter = Duration.ofMinutes(5);

    /** Builds the receiver's client; files and secrets in its config are read here, once. */
    public abstract AuditStreamSink build();

    /** {@code audit.streams[name]}: the prefix of every start-up message about this stream. */
    protected String key() {
        return "audit.streams[" + name + "]";
    }

    @SelfValidation
    public void validateDurations(ViolationCollector violations) {
        PositiveDurations.check(violations, "interval", interval);
        PositiveDurations.check(violations, "maxBackoff", maxBackoff);
        PositiveDurations.check(violations, "lagAlertAfter", lagAlertAfter);
    }

    @JsonProperty
    public String getName() {
        return name;
    }

    @JsonProperty
    public void setName(String name) {
        this.name = name;
    }

    @JsonProperty
    public StartAt getStartAt() {
        return startAt;
    }

    @JsonProperty
    public void setStartAt(StartAt startAt) {
        this.startAt = startAt;
    }

    @JsonProperty
    public int getBatchSize() {
        return batchSize;
    }

    @JsonProperty
    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    @JsonProperty
    public Duration getInterval() {
        return interval;
    }

    @JsonProperty
    public void setInterval(Duration interval) {
        this.interval = interval;
    }

    @JsonProperty
    public Duration getMaxBackoff() {
        return maxBackoff;
    }

    @JsonProperty
    public void setMaxBackoff(Duration maxBackoff) {
        this.maxBackoff = maxBackoff;
    }

    @JsonProperty
    public Duration getLagAlertAfter() {
        return lagAlertAfter;
    }

    @JsonProperty
    public void setLagAlertAfter(Duration lagAlertAfter) {
        this.lagAlertAfter = lagAlertAfter;
    }
}
