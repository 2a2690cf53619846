package dev.rotakey.alert.sink;

import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.targets.webhook.WebhookSignature;

import java.net.URI;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A {@code webhook} alert sink: POSTs each notification as versioned JSON, signed with
 * {@code Rotakey-Timestamp} and {@code Rotakey-Signature} exactly as the webhook target signs its
 * events, with a fresh {@code Rotakey-Event-Id} per notification.
 */
public final class WebhookSink extends JsonAlertSink {
    private final byte[] key;
    private final Clock clock;

    /** Takes ownership of {@code key} and clears it on {@link #close()}. */
    WebhookSink(String name, URI url, byte[] key, JsonPoster poster, Clock clock) {
        super(name, url, poster);
        this.key = key;
        this.clock = clock;
    }

    @Override
    public String type() {
        return "webhook";
    }

    @Override
    public void send(Alert alert) throws AlertDeliveryException {
        // per notification, not per alert: every repeat is an event of its own
        String eventId = UUID.randomUUID().toString();
        byte[] body = encode(document(eventId, alert));
        post(body, WebhookSignature.headers(key, clock.instant().getEpochSecond(), body, eventId));
    }

    static Map<String, Object> document(String eventId, Alert alert) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", 1);
        body.put("eventId", eventId);
        body.put("fingerprint", alert.fingerprint());
        body.put("status", alert.status().wireName());
        body.put("alertname", alert.alertName());
        body.put("severity", alert.severity().wireName());
        body.put("condition", alert.condition().wireName());
        body.put("owner", alert.owner());
        body.put("labels", alert.labels());
        body.put("summary", alert.summary());
        body.put("description", alert.description());
        body.put("startsAt", alert.startsAt().toString());
        body.put("endsAt", alert.endsAt() == null ? null : alert.endsAt().toString());
        return body;
    }

    /** Clears the shared key; the sink must not be used afterwards. */
    @Override
    public void close() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "WebhookSink{name=" + name() + ", url=" + url() + ", poster=" + poster() + "}";
    }
}
