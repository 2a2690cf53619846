package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/**
 * The {@code batches:} section: the background threads that carry out operators' tasks on many credentials
 * (rotate an agent, decommission, the removals of an emergency) after the task has answered.
 */
public class BatchesFactory {
    /** Threads for rotations and decommissions; emergencies have one more of their own. */
    @Min(1)
    @Max(16)
    private int threads = 2;

    /** Batches waiting for a thread, per lane; beyond it they wait in the database for the next sweep. */
    @Min(1)
    @Max(10_000)
    private int queueCapacity = 100;

    @JsonProperty
    public int getThreads() {
        return threads;
    }

    @JsonProperty
    public void setThreads(int threads) {
        this.threads = threads;
    }

    @JsonProperty
    public int getQueueCapacity() {
        return queueCapacity;
    }

    @JsonProperty
    public void setQueueCapacity(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }
}
