package dev.rotakey.usage;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.config.PositiveDurations;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * The {@code governance.usage:} section: usage telemetry and the baselines and anomalies drawn from it
 * (docs/governance.md, "Usage telemetry and anomalies").
 */
@SelfValidating
public class UsageFactory {
    private boolean enabled = true;
    @NotNull
    private Duration flushEvery = Duration.ofMinutes(1);
    @NotNull
    private Duration retain = Duration.ofDays(30);
    @Min(100)
    @Max(10_000_000)
    private int maxKeysInMemory = 100_000;
    @Min(1)
    @Max(10_000)
    private int maxServicesPerCredential = 50;
    @Min(1)
    @Max(10_000)
    private int maxNetworksPerCredential = 50;
    @NotNull
    private Duration baselineWindow = Duration.ofDays(14);
    @NotNull
    private Duration learningPeriod = Duration.ofDays(7);
    private double spikeFactor = 10;
    @Min(1)
    private long spikeMinimumUses = 100;
    @NotNull
    private Duration previousWarning = Duration.ofHours(1);
    @NotNull
    private Duration anomalyAlertFor = Duration.ofHours(1);

    @SelfValidation
    public void validate(ViolationCollector violations) {
        PositiveDurations.check(violations, "flushEvery", flushEvery);
        PositiveDurations.check(violations, "retain", retain);
        PositiveDurations.check(violations, "baselineWindow", baselineWindow);
        PositiveDurations.check(violations, "previousWarning", previousWarning);
        PositiveDurations.check(violations, "anomalyAlertFor", anomalyAlertFor);
        if (!(spikeFactor >= 2 && spikeFactor <= 1_000_000)) {
            violations.addViolation("spikeFactor", "must be between 2 and 1000000");
        }
        if (learningPeriod != null && learningPeriod.isNegative()) {
            violations.addViolation("learningPeriod", "must not be negative");
        }
        if (flushEvery != null && flushEvery.compareTo(Duration.ofHours(1)) > 0) {
            // Counts are kept by the hour: a longer interval would hold several hours in memory and lose them at a crash.
            violations.addViolation("flushEvery", "must be at most PT1H");
        }
        if (baselineWindow != null && baselineWindow.compareTo(Duration.ofHours(1)) < 0) {
            violations.addViolation("baselineWindow", "must be at least PT1H");
        }
        if (retain != null && baselineWindow != null && retain.compareTo(baselineWindow) < 0) {
            // The baseline is read from the hourly rows: pruned hours would lower it.
            violations.addViolation("retain", "must be at least baselineWindow");
        }
    }

    @JsonProperty
    public boolean isEnabled() {
        return enabled;
    }

    @JsonProperty
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @JsonProperty
    public Duration getFlushEvery() {
        return flushEvery;
    }

    @JsonProperty
    public void setFlushEvery(Duration flushEvery) {
        this.flushEvery = flushEvery;
    }

    @JsonProperty
    public Duration getRetain() {
        return retain;
    }

    @JsonProperty
    public void setRetain(Duration retain) {
        this.retain = retain;
    }

    @JsonProperty
    public int getMaxKeysInMemory() {
        return maxKeysInMemory;
    }

    @JsonProperty
    public void setMaxKeysInMemory(int maxKeysInMemory) {
        this.maxKeysInMemory = maxKeysInMemory;
    }

    @JsonProperty
    public int getMaxServicesPerCredential() {
        return maxServicesPerCredential;
    }

    @JsonProperty
    public void setMaxServicesPerCredential(int maxServicesPerCredential) {
        this.maxServicesPerCredential = maxServicesPerCredential;
    }

    @JsonProperty
    public int getMaxNetworksPerCredential() {
        return maxNetworksPerCredential;
    }

    @JsonProperty
    public void setMaxNetworksPerCredential(int maxNetworksPerCredential) {
        this.maxNetworksPerCredential = maxNetworksPerCredential;
    }

    @JsonProperty
    public Duration getBaselineWindow() {
        return baselineWindow;
    }

    @JsonProperty
    public void setBaselineWindow(Duration baselineWindow) {
        this.baselineWindow = baselineWindow;
    }

    @JsonProperty
    public Duration getLearningPeriod() {
        return learningPeriod;
    }

    @JsonProperty
    public void setLearningPeriod(Duration learningPeriod) {
        this.learningPeriod = learningPeriod;
    }

    @JsonProperty
    public double getSpikeFactor() {
        return spikeFactor;
    }

    @JsonProperty
    public void setSpikeFactor(double spikeFactor) {
        this.spikeFactor = spikeFactor;
    }

    @JsonProperty
    public long getSpikeMinimumUses() {
        return spikeMinimumUses;
    }

    @JsonProperty
    public void setSpikeMinimumUses(long spikeMinimumUses) {
        this.spikeMinimumUses = spikeMinimumUses;
    }

    @JsonProperty
    public Duration getPreviousWarning() {
        return previousWarning;
    }

    @JsonProperty
    public void setPreviousWarning(Duration previousWarning) {
        this.previousWarning = previousWarning;
    }

    @JsonProperty
    public Duration getAnomalyAlertFor() {
        return anomalyAlertFor;
    }

    @JsonProperty
    public void setAnomalyAlertFor(Duration anomalyAlertFor) {
        this.anomalyAlertFor = anomalyAlertFor;
    }
}
