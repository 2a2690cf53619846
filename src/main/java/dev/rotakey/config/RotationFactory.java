package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * Rotation defaults for credentials that do not set their own ({@code every},
 * {@code gracePeriod}), the deterministic jitter that spreads a fleet's rotations, how failing
 * steps are retried, and when a FAILED rotation is tried again.
 */
public class RotationFactory {
    @NotNull
    private Duration every = Duration.ofDays(30);

    @NotNull
    private Duration gracePeriod = Duration.ofHours(1);

    /** Fraction of a credential's interval by which its schedule may be shifted. */
    @DecimalMin("0.0")
    @DecimalMax("0.5")
    private double jitter = 0.05;

    @NotNull
    private Duration maxJitter = Duration.ofHours(1);

    /** How long after a FAILED scheduled rotation the next attempt is made (at most the interval). */
    @NotNull
    private Duration retryFailedAfter = Duration.ofHours(1);

    @Valid
    @NotNull
    private RetryFactory retry = new RetryFactory();

    @JsonProperty
    public Duration getEvery() {
        return every;
    }

    @JsonProperty
    public void setEvery(Duration every) {
        this.every = every;
    }

    @JsonProperty
    public Duration getGracePeriod() {
        return gracePeriod;
    }

    @JsonProperty
    public void setGracePeriod(Duration gracePeriod) {
        this.gracePeriod = gracePeriod;
    }

    @JsonProperty
    public double getJitter() {
        return jitter;
    }

    @JsonProperty
    public void setJitter(double jitter) {
        this.jitter = jitter;
    }

    @JsonProperty
    public Duration getMaxJitter() {
        return maxJitter;
    }

    @JsonProperty
    public void setMaxJitter(Duration maxJitter) {
        this.maxJitter = maxJitter;
    }

    @JsonProperty
    public Duration getRetryFailedAfter() {
        return retryFailedAfter;
    }

    @JsonProperty
    public void setRetryFailedAfter(Duration retryFailedAfter) {
        this.retryFailedAfter = retryFailedAfter;
    }

    @JsonProperty
    public RetryFactory getRetry() {
        return retry;
    }

    @JsonProperty
    public void setRetry(RetryFactory retry) {
        this.retry = retry;
    }

    @JsonIgnore
    @ValidationMethod(message = "gracePeriod must be shorter than every (the rotation interval)")
    public boolean isGracePeriodShorterThanEvery() {
        return every == null || gracePeriod == null || gracePeriod.compareTo(every) < 0;
    }

    @JsonIgnore
    @ValidationMethod(message = "every must be positive and gracePeriod not negative")
    public boolean isDurationsPositive() {
        return every == null || gracePeriod == null
                || (!every.isNegative() && !every.isZero() && !gracePeriod.isNegative());
    }
}
