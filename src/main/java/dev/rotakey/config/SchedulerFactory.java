package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonIgnore;

import jakarta.validation.constraints.AssertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.time.Duration;

/**
 * The Quartz scheduler: worker threads, how late a trigger may fire before it counts as missed
 * (a missed one still runs, at once), and whether several nodes share the database as a cluster:
 * then each node has its own {@code instanceId} and checks in every {@code checkinInterval}.
 */
public class SchedulerFactory {
    @Min(1)
    @Max(64)
    private int threads = 4;

    /**
     * Threads that run rotations due now (an operator's, an emergency's, one just started) on this node, beside
     * Quartz's {@code threads}, which run scheduled work; steps running at the same time commit together.
     */
    @Min(1)
    @Max(128)
    private Integer rotationThreads;

    @NotNull
    private Duration misfireThreshold = Duration.ofMinutes(1);

    private boolean clustered = false;

    @NotEmpty
    private String instanceName = "rotakey";

    /** This node's name in the cluster, logs, audit and metrics; the host name when not set. Unique per node. */
    @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}", message = "must be 1-64 letters, digits, '.', '_' or '-'")
    private String instanceId;

    /**
     * How often a clustered node records that it is alive. Another node takes over a silent node's work once it
     * has missed about one check-in plus 7.5 s (Quartz's margin): with 5 s, within 12.5-17.5 s of its death.
     */
    @NotNull
    private Duration checkinInterval = Duration.ofSeconds(5);

    /**
     * How far ahead Quartz holds the triggers of work the database already schedules (next rotations, revocations at
     * the end of a grace period). Work due later is left to a sweep that stores it once it comes within the horizon,
     * so that Quartz's tables hold the near future only and a mass rotation does not also store two triggers per
     * credential for work due in hours or weeks.
     */
    @NotNull
    private Duration triggerHorizon = Duration.ofMinutes(15);

    @JsonProperty
    public int getThreads() {
        return threads;
    }

    @JsonProperty
    public void setThreads(int threads) {
        this.threads = threads;
    }

    @JsonProperty
    public Integer getRotationThreads() {
        return rotationThreads;
    }

    /** {@link #getRotationThreads()}, or twice Quartz's threads when not set. */
    public int rotationThreads() {
        return rotationThreads != null ? rotationThreads : 2 * threads;
    }

    @JsonProperty
    public void setRotationThreads(Integer rotationThreads) {
        this.rotationThreads = rotationThreads;
    }

    @JsonProperty
    public Duration getMisfireThreshold() {
        return misfireThreshold;
    }

    @JsonProperty
    public void setMisfireThreshold(Duration misfireThreshold) {
        this.misfireThreshold = misfireThreshold;
    }

    @JsonProperty
    public boolean isClustered() {
        return clustered;
    }

    @JsonProperty
    public void setClustered(boolean clustered) {
        this.clustered = clustered;
    }

    @JsonProperty
    public String getInstanceId() {
        return instanceId;
    }

    @JsonProperty
    public void setInstanceId(String instanceId) {
        this.instanceId = instanceId;
    }

    @JsonProperty
    public Duration getTriggerHorizon() {
        return triggerHorizon;
    }

    @JsonProperty
    public void setTriggerHorizon(Duration triggerHorizon) {
        this.triggerHorizon = triggerHorizon;
    }

    /** The horizon's sweep comes several times within it, and at least every minute. */
    public Duration horizonSweepInterval() {
        Duration fifth = triggerHorizon.dividedBy(5);
        return fifth.compareTo(Duration.ofMinutes(1)) < 0 ? fifth : Duration.ofMinutes(1);
    }

    @AssertTrue(message = "triggerHorizon must be at least one minute")
    @JsonIgnore
    public boolean isTriggerHorizonLongEnough() {
        return triggerHorizon == null || triggerHorizon.compareTo(Duration.ofMinutes(1)) >= 0;
    }

    @JsonProperty
    public Duration getCheckinInterval() {
        return checkinInterval;
    }

    @JsonProperty
    public void setCheckinInterval(Duration checkinInterval) {
        // Thrown here, like other duration checks, so that the parse error names the full key.
        if (checkinInterval != null && (checkinInterval.compareTo(Duration.ofSeconds(1)) < 0
                || checkinInterval.compareTo(Duration.ofMinutes(1)) > 0)) {
            throw new IllegalArgumentException("must be between PT1S and PT1M");
        }
        this.checkinInterval = checkinInterval;
    }

    @JsonProperty
    public String getInstanceName() {
        return instanceName;
    }

    @JsonProperty
    public void setInstanceName(String instanceName) {
        this.instanceName = instanceName;
    }
}
