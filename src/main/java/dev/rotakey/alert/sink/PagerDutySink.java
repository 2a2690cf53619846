package dev.rotakey.alert.sink;

import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertStatus;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code pagerduty} alert sink: a firing notification is an Events API v2 {@code trigger} and a
 * resolved one a {@code resolve}, both with the alert's fingerprint as {@code dedup_key}, so that
 * repeats update one incident and the resolution closes it.
 */
public final class PagerDutySink extends JsonAlertSink {
    /** PagerDuty truncates longer summaries itself; cutting here keeps the end of the message predictable. */
    static final int MAX_SUMMARY = 1024;

    private final String routingKey;
    private final String source;

    PagerDutySink(String name, URI url, String routingKey, String source, JsonPoster poster) {
        super(name, url, poster);
        this.routingKey = routingKey;
        this.source = source;
    }

    @Override
    public String type() {
        return "pagerduty";
    }

    @Override
    public void send(Alert alert) throws AlertDeliveryException {
        post(encode(document(alert)), Map.of());
    }

    Object document(Alert alert) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("routing_key", routingKey);
        event.put("dedup_key", alert.fingerprint());
        if (alert.status() == AlertStatus.RESOLVED) {
            event.put("event_action", "resolve");
        } else {
            event.put("event_action", "trigger");
            Map<String, Object> payload = new LinkedHashMap<>();
            String summary = alert.summary() == null ? alert.alertName() : alert.summary();
            payload.put("summary", summary.length() > MAX_SUMMARY ? summary.substring(0, MAX_SUMMARY - 1) + "…" : summary);
            payload.put("source", source);
            payload.put("severity", alert.severity().wireName());
            payload.put("timestamp", alert.startsAt().toString());
            String component = alert.labels().getOrDefault("credential", alert.labels().get("backend"));
            if (component != null) {
                payload.put("component", component);
            }
            if (alert.labels().get("agent") != null) {
                payload.put("group", alert.labels().get("agent"));
            }
            payload.put("class", alert.alertName());
            Map<String, Object> details = new LinkedHashMap<>(alert.labels());
            if (alert.description() != null) {
                details.put("description", alert.description());
            }
            payload.put("custom_details", details);
            event.put("payload", payload);
        }
        return event;
    }

    @Override
    public String toString() {
        return "PagerDutySink{name=" + name() + ", url=" + url() + ", routingKey=(redacted), source=" + source + "}";
    }
}
