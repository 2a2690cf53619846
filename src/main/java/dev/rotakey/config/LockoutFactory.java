package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * How guessing credentials is locked out: after {@code failures} failed authentications from one address within
 * {@code window}, that address is answered 429 for {@code duration}, whatever it presents.
 */
public class LockoutFactory {
    private boolean enabled = true;
    @Min(1)
    private int failures = 20;
    @NotNull
    private Duration window = Duration.ofMinutes(1);
    @NotNull
    private Duration duration = Duration.ofMinutes(5);

    @JsonProperty
    public boolean isEnabled() {
        return enabled;
    }

    @JsonProperty
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @JsonProperty
    public int getFailures() {
        return failures;
    }

    @JsonProperty
    public void setFailures(int failures) {
        this.failures = failures;
    }

    @JsonProperty
    public Duration getWindow() {
        return window;
    }

    @JsonProperty
    public void setWindow(Duration window) {
        this.window = window;
    }

    @JsonProperty
    public Duration getDuration() {
        return duration;
    }

    @JsonProperty
    public void setDuration(Duration duration) {
        this.duration = duration;
    }

    @jakarta.validation.constraints.AssertTrue(message = "window and duration must be positive")
    public boolean isDurationsPositive() {
        return window == null || duration == null || (!window.isNegative() && !window.isZero()
                && !duration.isNegative() && !duration.isZero());
    }
}
