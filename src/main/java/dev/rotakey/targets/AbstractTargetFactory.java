package dev.rotakey.targets;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;

/**
 * The settings every target type shares (for now its optional {@code limits:} block); a target
 * factory takes them by extending this class.
 */
public abstract class AbstractTargetFactory implements TargetFactory {
    @Valid
    private TargetLimitsFactory limits;

    @JsonProperty
    public TargetLimitsFactory getLimits() {
        return limits;
    }

    @JsonProperty
    public void setLimits(TargetLimitsFactory limits) {
        this.limits = limits;
    }

    @Override
    public TargetLimitsFactory limits() {
        return limits;
    }
}
