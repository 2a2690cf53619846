package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.core.RetryPolicy;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * How a failing workflow step is retried: exponential backoff from {@code initialBackoff},
 * multiplied by {@code multiplier} per attempt up to {@code maxBackoff}, with up to
 * {@code jitter} of each delay randomised, for at most {@code maxAttempts} attempts per step.
 */
public class RetryFactory {
    @Min(1)
    @Max(100)
    private int maxAttempts = 5;

    @NotNull
    private Duration initialBackoff = Duration.ofSeconds(2);

    @NotNull
    private Duration maxBackoff = Duration.ofMinutes(5);

    @DecimalMin("1.0")
    @DecimalMax("10.0")
    private double multiplier = 2.0;

    @DecimalMin("0.0")
    @DecimalMax("1.0")
    private double jitter = 0.5;

    @JsonProperty
    public int getMaxAttempts() {
        return maxAttempts;
    }

    @JsonProperty
    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    @JsonProperty
    public Duration getInitialBackoff() {
        return initialBackoff;
    }

    @JsonProperty
    public void setInitialBackoff(Duration initialBackoff) {
        this.initialBackoff = initialBackoff;
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
    public double getMultiplier() {
        return multiplier;
    }

    @JsonProperty
    public void setMultiplier(double multiplier) {
        this.multiplier = multiplier;
    }

    @JsonProperty
    public double getJitter() {
        return jitter;
    }

    @JsonProperty
    public void setJitter(double jitter) {
        this.jitter = jitter;
    }

    @JsonIgnore
    @ValidationMethod(message = "initialBackoff must be positive and not longer than maxBackoff")
    public boolean isBackoffOrdered() {
        return initialBackoff == null || maxBackoff == null
                || (!initialBackoff.isNegative() && !initialBackoff.isZero() && initialBackoff.compareTo(maxBackoff) <= 0);
    }

    public RetryPolicy build() {
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, multiplier, jitter);
    }
}
