package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * The Quartz scheduler: worker threads, how late a trigger may fire before it counts as missed
 * (a missed one still runs, at once), and whether several nodes share the database as a cluster.
 */
public class SchedulerFactory {
    @Min(1)
    @Max(64)
    private int threads = 4;

    @NotNull
    private Duration misfireThreshold = Duration.ofMinutes(1);

    private boolean clustered = false;

    @NotEmpty
    private String instanceName = "rotakey";

    @JsonProperty
    public int getThreads() {
        return threads;
    }

    @JsonProperty
    public void setThreads(int threads) {
        this.threads = threads;
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
    public String getInstanceName() {
        return instanceName;
    }

    @JsonProperty
    public void setInstanceName(String instanceName) {
        this.instanceName = instanceName;
    }
}
