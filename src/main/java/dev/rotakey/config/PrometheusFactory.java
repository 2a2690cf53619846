package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * The {@code prometheus:} section: how Rotakey's own {@code rotakey_*} metrics are computed for
 * {@code /metrics/prometheus}. ({@code metrics:} is Dropwizard's own section, for its reporters.)
 */
public class PrometheusFactory {
    /**
     * One series per active credential (labels credential, agent, owner) for its next rotation and
     * current version. Off by default: with a large fleet it multiplies Prometheus's series.
     */
    private boolean perCredentialSeries = false;

    /** The fleet gauges' database figures are recomputed at most this often, whoever scrapes. */
    @NotNull
    private Duration fleetRefreshInterval = Duration.ofSeconds(15);

    @JsonProperty
    public boolean isPerCredentialSeries() {
        return perCredentialSeries;
    }

    @JsonProperty
    public void setPerCredentialSeries(boolean perCredentialSeries) {
        this.perCredentialSeries = perCredentialSeries;
    }

    @JsonProperty
    public Duration getFleetRefreshInterval() {
        return fleetRefreshInterval;
    }

    @JsonProperty
    public void setFleetRefreshInterval(Duration fleetRefreshInterval) {
        this.fleetRefreshInterval = fleetRefreshInterval;
    }

    @JsonIgnore
    @ValidationMethod(message = "prometheus.fleetRefreshInterval must be at least PT1S")
    public boolean isFleetRefreshIntervalReasonable() {
        return fleetRefreshInterval == null || fleetRefreshInterval.compareTo(Duration.ofSeconds(1)) >= 0;
    }
}
