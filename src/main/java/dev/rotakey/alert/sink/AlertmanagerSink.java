package dev.rotakey.alert.sink;

import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertStatus;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@code alertmanager} alert sink: POSTs each notification to Alertmanager's
 * {@code /api/v2/alerts} as an alert whose labels are the alert's (Alertmanager identifies an alert
 * by its label set, so a repeat updates the same alert). A firing one ends {@code resolveTimeout}
 * from now, so that it resolves by itself if Rotakey stops repeating it; a resolved one ends when it
 * was resolved.
 */
public final class AlertmanagerSink extends JsonAlertSink {
    private final String authorization;
    private final Duration resolveTimeout;
    private final String generatorUrl;
    private final Clock clock;

    AlertmanagerSink(String name, URI alertsUrl, String authorization, Duration resolveTimeout, String generatorUrl,
                     JsonPoster poster, Clock clock) {
        super(name, alertsUrl, poster);
        this.authorization = authorization;
        this.resolveTimeout = resolveTimeout;
        this.generatorUrl = generatorUrl;
        this.clock = clock;
    }

    @Override
    public String type() {
        return "alertmanager";
    }

    @Override
    public void send(Alert alert) throws AlertDeliveryException {
        post(encode(document(alert)), authorization == null ? Map.of() : Map.of("Authorization", authorization));
    }

    Object document(Alert alert) {
        Map<String, String> labels = new LinkedHashMap<>();
        // Alertmanager refuses empty label values; an absent label means the same thing to it
        alert.labels().forEach((k, v) -> {
            if (v != null && !v.isEmpty()) {
                labels.put(k, v);
            }
        });
        Map<String, String> annotations = new LinkedHashMap<>();
        if (alert.summary() != null) {
            annotations.put("summary", alert.summary());
        }
        if (alert.description() != null && !alert.description().isEmpty()) {
            annotations.put("description", alert.description());
        }
        annotations.put("fingerprint", alert.fingerprint());
        Map<String, Object> am = new LinkedHashMap<>();
        am.put("labels", labels);
        am.put("annotations", annotations);
        am.put("startsAt", alert.startsAt().toString());
        am.put("endsAt", (alert.status() == AlertStatus.FIRING ? clock.instant().plus(resolveTimeout) : alert.endsAt())
                .toString());
        if (generatorUrl != null) {
            am.put("generatorURL", generatorUrl);
        }
        return List.of(am);
    }

    @Override
    public String toString() {
        return "AlertmanagerSink{name=" + name() + ", url=" + url() + ", authorization="
                + (authorization == null ? "none" : "(redacted)") + ", resolveTimeout=" + resolveTimeout + "}";
    }
}
