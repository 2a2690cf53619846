package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.alert.AlertSinkFactory;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code alerting:} section: the sinks alerts go to (several at once), how often conditions are
 * evaluated, how often a firing alert is repeated, the tolerances of the overdue and expiry
 * conditions, and how failed deliveries are retried. With no sinks, alerts are still evaluated,
 * counted and listed, just not sent anywhere.
 */
public class AlertingFactory {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    /** Who alerts about Rotakey itself (a key backend, a CA) are routed to; agents' alerts go to their owners. */
    @NotEmpty
    private String owner = "rotakey-operators";

    @NotNull
    private Duration evaluationInterval = Duration.ofSeconds(30);

    /**
     * Evaluations asked for by events (a rotation ended, a revoked key presented) run at most once per this interval:
     * the first of a quiet spell at once, the rest of a burst coalesced, so a mass rotation does not evaluate after
     * every rotation. A shorter {@code evaluationInterval} caps it.
     */
    @NotNull
    private Duration burstInterval = Duration.ofSeconds(2);

    /** A firing alert is sent again this often while its condition holds. */
    @NotNull
    private Duration repeatInterval = Duration.ofHours(4);

    /** A rotation due this long ago that has not succeeded makes the credential overdue. */
    @NotNull
    private Duration overdueAfter = Duration.ofHours(1);

    /** A current certificate (or a CA certificate) that expires within this fires the expiry alert. */
    @NotNull
    private Duration expiryWarning = Duration.ofDays(7);

    /** How long the alert about a revoked key being presented keeps firing after the last presentation. */
    @NotNull
    private Duration presentedWindow = Duration.ofHours(1);

    /** Beyond this many subjects of one condition, one summary alert stands for the rest (a storm pages once, not 100,000 times). */
    @Min(1)
    @Max(10_000)
    private int maxAlertsPerCondition = 100;

    /** Notifications waiting for one sink; beyond it the oldest are dropped, counted, and re-sent on the next repeat. */
    @Min(10)
    @Max(1_000_000)
    private int queueCapacity = 10_000;

    @Valid
    @NotNull
    private RetryFactory delivery = defaultDelivery();

    @Valid
    @NotNull
    private Map<String, AlertSinkFactory> sinks = new LinkedHashMap<>();

    private static RetryFactory defaultDelivery() {
        RetryFactory r = new RetryFactory();
        r.setMaxAttempts(6);
        r.setInitialBackoff(Duration.ofSeconds(1));
        r.setMaxBackoff(Duration.ofMinutes(1));
        return r;
    }

    @JsonProperty
    public String getOwner() {
        return owner;
    }

    @JsonProperty
    public void setOwner(String owner) {
        this.owner = owner;
    }

    @JsonProperty
    public Duration getEvaluationInterval() {
        return evaluationInterval;
    }

    @JsonProperty
    public void setEvaluationInterval(Duration evaluationInterval) {
        this.evaluationInterval = evaluationInterval;
    }

    @JsonProperty
    public Duration getRepeatInterval() {
        return repeatInterval;
    }

    @JsonProperty
    public void setRepeatInterval(Duration repeatInterval) {
        this.repeatInterval = repeatInterval;
    }

    @JsonProperty
    public Duration getOverdueAfter() {
        return overdueAfter;
    }

    @JsonProperty
    public void setOverdueAfter(Duration overdueAfter) {
        this.overdueAfter = overdueAfter;
    }

    @JsonProperty
    public Duration getExpiryWarning() {
        return expiryWarning;
    }

    @JsonProperty
    public void setExpiryWarning(Duration expiryWarning) {
        this.expiryWarning = expiryWarning;
    }

    @JsonProperty
    public Duration getPresentedWindow() {
        return presentedWindow;
    }

    @JsonProperty
    public void setPresentedWindow(Duration presentedWindow) {
        this.presentedWindow = presentedWindow;
    }

    @JsonProperty
    public int getMaxAlertsPerCondition() {
        return maxAlertsPerCondition;
    }

    @JsonProperty
    public void setMaxAlertsPerCondition(int maxAlertsPerCondition) {
        this.maxAlertsPerCondition = maxAlertsPerCondition;
    }

    @JsonProperty
    public int getQueueCapacity() {
        return queueCapacity;
    }

    @JsonProperty
    public void setQueueCapacity(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }

    @JsonProperty
    public RetryFactory getDelivery() {
        return delivery;
    }

    @JsonProperty
    public void setDelivery(RetryFactory delivery) {
        this.delivery = delivery;
    }

    @JsonProperty
    public Map<String, AlertSinkFactory> getSinks() {
        return sinks;
    }

    @JsonProperty
    public void setSinks(Map<String, AlertSinkFactory> sinks) {
        this.sinks = sinks;
    }

    @JsonProperty
    public Duration getBurstInterval() {
        return burstInterval;
    }

    @JsonProperty
    public void setBurstInterval(Duration burstInterval) {
        this.burstInterval = burstInterval;
    }

    @JsonIgnore
    @ValidationMethod(message = "alerting: evaluationInterval, repeatInterval, overdueAfter, expiryWarning and presentedWindow must be positive, burstInterval positive, and repeatInterval at least evaluationInterval")
    public boolean isDurationsPositive() {
        if (evaluationInterval == null || repeatInterval == null || overdueAfter == null || expiryWarning == null
                || presentedWindow == null || burstInterval == null) {
            return true; // @NotNull reports these
        }
        return !evaluationInterval.isNegative() && !evaluationInterval.isZero() && !repeatInterval.isNegative()
                && !burstInterval.isNegative() && !burstInterval.isZero()
                && !overdueAfter.isNegative() && !expiryWarning.isNegative() && !presentedWindow.isNegative()
                && repeatInterval.compareTo(evaluationInterval) >= 0;
    }

    @JsonIgnore
    @ValidationMethod(message = "alerting.sinks names must be lower-case letters, digits and '-' (at most 63)")
    public boolean isSinkNamesWellFormed() {
        return sinks == null || sinks.keySet().stream().allMatch(n -> NAME.matcher(n).matches());
    }
}
