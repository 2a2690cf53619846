package dev.rotakey.alert;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One notification about one alert: the alert's stable {@code fingerprint} (the same for every
 * notification about the same condition on the same subject, so receivers can deduplicate: it is
 * PagerDuty's dedup key), its labels, a one-line summary and a description, when it started and,
 * once resolved, when it ended. Holds identifiers and outcomes only, never secret material.
 *
 * <p>Labels are stable for the alert's life (Alertmanager identifies an alert by its label set):
 * always {@code alertname}, {@code severity} and {@code owner}, and where they apply {@code agent},
 * {@code credential}, {@code version}, {@code backend}, {@code ca}, {@code stream}. Anything that changes (an
 * error message, a count) goes in the description.
 */
public record Alert(String fingerprint, AlertCondition condition, AlertStatus status, Map<String, String> labels,
                    String summary, String description, Instant startsAt, Instant endsAt) {

    public Alert {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(startsAt, "startsAt");
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        if (status == AlertStatus.RESOLVED && endsAt == null) {
            throw new IllegalArgumentException("a resolved alert needs endsAt");
        }
    }

    /** The owner the alert is routed to: the agent's owner, or the operators' address for alerts about Rotakey itself. */
    public String owner() {
        return labels.get("owner");
    }

    public String alertName() {
        return condition.alertName();
    }

    public AlertSeverity severity() {
        return condition.severity();
    }

    /** This alert, resolved at {@code at}. */
    public Alert resolvedAt(Instant at) {
        return new Alert(fingerprint, condition, AlertStatus.RESOLVED, labels, summary, description, startsAt, at);
    }
}
