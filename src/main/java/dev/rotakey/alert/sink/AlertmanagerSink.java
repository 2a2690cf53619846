package dev.rotakey.alert.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertSink;
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
public final class AlertmanagerSink implements AlertSink {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final URI alertsUrl;
    private final String authorization;
    private final Duration resolveTimeout;
    private final String generatorUrl;
    private final JsonPoster poster;
    private final Clock clock;

    AlertmanagerSink(String name, URI alertsUrl, String authorization, Duration resolveTimeout, String generatorUrl,
                     JsonPoster poster, Clock clock) {
        this.name = name;
        this.alertsUrl = alertsUrl;
        this.authorization = authorization;
        this.resolveTimeout = resolveTimeout;
        this.generatorUrl = generatorUrl;
        this.poster = poster;
        this.clock = clock;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "alertmanager";
    }

    @Override
    public void send(Alert alert) throws AlertDeliveryException {
        poster.post(alertsUrl, body(alert), authorization == null ? Map.of() : Map.of("Authorization", authorization));
    }

    byte[] body(Alert alert) {
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
        try {
            return JSON.writeValueAsBytes(List.of(am));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode an alert", e);
        }
    }

    @Override
    public String toString() {
        return "AlertmanagerSink{name=" + name + ", url=" + alertsUrl + ", authorization="
                + (authorization == null ? "none" : "(redacted)") + ", resolveTimeout=" + resolveTimeout + "}";
    }
}
