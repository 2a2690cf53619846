package dev.rotakey.targets;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.metrics.TargetLimitMetrics;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * The {@code limits:} block of a target: at most {@code concurrency} operations at once and
 * {@code perSecond} started per second (0 = no limit, the default for both), with work beyond
 * that queued for up to {@code maxWait} (default PT5M) before it fails as retryable. On a clustered node the
 * limits hold for the cluster as a whole ({@link ClusterLimits}).
 */
public class TargetLimitsFactory {
    @Min(0)
    @Max(10_000)
    private int concurrency;
    @Min(0)
    @Max(100_000)
    private int perSecond;
    @NotNull
    private Duration maxWait = Duration.ofMinutes(5);

    @JsonProperty
    public int getConcurrency() {
        return concurrency;
    }

    @JsonProperty
    public void setConcurrency(int concurrency) {
        this.concurrency = concurrency;
    }

    @JsonProperty
    public int getPerSecond() {
        return perSecond;
    }

    @JsonProperty
    public void setPerSecond(int perSecond) {
        this.perSecond = perSecond;
    }

    @JsonProperty
    public Duration getMaxWait() {
        return maxWait;
    }

    @JsonProperty
    public void setMaxWait(Duration maxWait) {
        // Thrown here, like other duration checks, so that the parse error names the full key.
        if (maxWait != null && (maxWait.isNegative() || maxWait.isZero())) {
            throw new IllegalArgumentException("must be positive (PT0S would refuse every queued operation)");
        }
        this.maxWait = maxWait;
    }

    /** Wraps {@code target} in these limits, kept in this process, or returns it as it is when they limit nothing. */
    public Target apply(Target target, TargetLimitMetrics metrics) {
        return apply(target, metrics, null);
    }

    /**
     * Wraps {@code target} in these limits, or returns it as it is when they limit nothing. With {@code cluster}
     * (a clustered node on PostgreSQL) they hold for the cluster as a whole: start slots in the shared database and
     * permits as its advisory locks; without (null), in this process.
     */
    public Target apply(Target target, TargetLimitMetrics metrics, ClusterLimits cluster) {
        if (concurrency == 0 && perSecond == 0) {
            return target;
        }
        if (cluster == null) {
            return new LimitedTarget(target, concurrency, perSecond, maxWait, LimitedTarget.Waiting.SYSTEM,
                    metrics);
        }
        LimitedTarget.Waiting waiting = LimitedTarget.Waiting.SYSTEM;
        OperationPermits permits = concurrency > 0
                ? new AdvisoryLockPermits(cluster.connections(), target.name(), concurrency, waiting) : null;
        StartSlots slots = perSecond > 0 ? new DatabaseStartSlots(cluster.store(), target.name(), perSecond) : null;
        return new LimitedTarget(target, permits, slots, maxWait, waiting, metrics);
    }

    @Override
    public String toString() {
        return "TargetLimitsFactory{concurrency=" + concurrency + ", perSecond=" + perSecond + ", maxWait=" + maxWait + "}";
    }
}
