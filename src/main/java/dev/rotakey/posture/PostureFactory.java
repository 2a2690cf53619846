package dev.rotakey.posture;

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
 * The {@code governance.posture:} section: the policy the posture report measures the fleet against, and how often its
 * new findings are recorded as audit events (docs/governance.md, "Posture report").
 */
@SelfValidating
public class PostureFactory {
    /** An issued certificate valid (notAfter - notBefore) for longer than this is a finding. */
    @NotNull
    private Duration maxCertificateValidity = Duration.ofDays(90);

    /** A credential whose last use seen by usage telemetry is older than this is a candidate for removal. */
    @NotNull
    private Duration unusedAfter = Duration.ofDays(30);

    /** An API key created longer ago than this and never seen by usage telemetry. */
    @NotNull
    private Duration neverVerifiedAfter = Duration.ofDays(7);

    /** An agent with more active credentials than this. */
    @Min(1)
    @Max(100_000)
    private int maxCredentialsPerAgent = 10;

    /** A token never used and created longer ago than this, or last used longer ago than this. */
    @NotNull
    private Duration tokenUnusedAfter = Duration.ofDays(30);

    /** A token is judged too broad only once it is this old, so that its needs have had time to show. */
    @NotNull
    private Duration tokenBreadthAfter = Duration.ofDays(7);

    /** A PREVIOUS version used within this window is still relied on. */
    @NotNull
    private Duration previousInUseWithin = Duration.ofHours(24);

    /** How often the report is computed to record its new findings as audit events (and once at start). */
    @NotNull
    private Duration recordEvery = Duration.ofHours(1);

    /** Findings listed per kind at most; the counts are always exact. */
    @Min(1)
    @Max(1_000_000)
    private int maxFindings = 1000;

    @SelfValidation
    public void validate(ViolationCollector violations) {
        PositiveDurations.check(violations, "maxCertificateValidity", maxCertificateValidity);
        PositiveDurations.check(violations, "unusedAfter", unusedAfter);
        PositiveDurations.check(violations, "neverVerifiedAfter", neverVerifiedAfter);
        PositiveDurations.check(violations, "tokenUnusedAfter", tokenUnusedAfter);
        PositiveDurations.check(violations, "previousInUseWithin", previousInUseWithin);
        PositiveDurations.check(violations, "recordEvery", recordEvery);
        if (tokenBreadthAfter != null && tokenBreadthAfter.isNegative()) {
            violations.addViolation("tokenBreadthAfter", "must not be negative");
        }
        if (recordEvery != null && recordEvery.compareTo(Duration.ofMinutes(1)) < 0) {
            violations.addViolation("recordEvery", "must be at least PT1M");
        }
    }

    @JsonProperty
    public Duration getMaxCertificateValidity() {
        return maxCertificateValidity;
    }

    @JsonProperty
    public void setMaxCertificateValidity(Duration maxCertificateValidity) {
        this.maxCertificateValidity = maxCertificateValidity;
    }

    @JsonProperty
    public Duration getUnusedAfter() {
        return unusedAfter;
    }

    @JsonProperty
    public void setUnusedAfter(Duration unusedAfter) {
        this.unusedAfter = unusedAfter;
    }

    @JsonProperty
    public Duration getNeverVerifiedAfter() {
        return neverVerifiedAfter;
    }

    @JsonProperty
    public void setNeverVerifiedAfter(Duration neverVerifiedAfter) {
        this.neverVerifiedAfter = neverVerifiedAfter;
    }

    @JsonProperty
    public int getMaxCredentialsPerAgent() {
        return maxCredentialsPerAgent;
    }

    @JsonProperty
    public void setMaxCredentialsPerAgent(int maxCredentialsPerAgent) {
        this.maxCredentialsPerAgent = maxCredentialsPerAgent;
    }

    @JsonProperty
    public Duration getTokenUnusedAfter() {
        return tokenUnusedAfter;
    }

    @JsonProperty
    public void setTokenUnusedAfter(Duration tokenUnusedAfter) {
        this.tokenUnusedAfter = tokenUnusedAfter;
    }

    @JsonProperty
    public Duration getTokenBreadthAfter() {
        return tokenBreadthAfter;
    }

    @JsonProperty
    public void setTokenBreadthAfter(Duration tokenBreadthAfter) {
        this.tokenBreadthAfter = tokenBreadthAfter;
    }

    @JsonProperty
    public Duration getPreviousInUseWithin() {
        return previousInUseWithin;
    }

    @JsonProperty
    public void setPreviousInUseWithin(Duration previousInUseWithin) {
        this.previousInUseWithin = previousInUseWithin;
    }

    @JsonProperty
    public Duration getRecordEvery() {
        return recordEvery;
    }

    @JsonProperty
    public void setRecordEvery(Duration recordEvery) {
        this.recordEvery = recordEvery;
    }

    @JsonProperty
    public int getMaxFindings() {
        return maxFindings;
    }

    @JsonProperty
    public void setMaxFindings(int maxFindings) {
        this.maxFindings = maxFindings;
    }
}
