package dev.rotakey.alert.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertSink;

import java.net.URI;
import java.util.Map;

/**
 * An alert sink that POSTs one JSON document per notification to one URL (webhook, Alertmanager,
 * Slack, PagerDuty). Each subclass says what the document is and which headers go with it; the
 * encoding is this class's and the exchange and its failures are {@link JsonPoster}'s.
 */
abstract class JsonAlertSink implements AlertSink {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final URI url;
    private final JsonPoster poster;

    JsonAlertSink(String name, URI url, JsonPoster poster) {
        this.name = name;
        this.url = url;
        this.poster = poster;
    }

    @Override
    public final String name() {
        return name;
    }

    final void post(byte[] body, Map<String, String> headers) throws AlertDeliveryException {
        poster.post(url, body, headers);
    }

    final URI url() {
        return url;
    }

    final JsonPoster poster() {
        return poster;
    }

    static byte[] encode(Object document) {
        try {
            return JSON.writeValueAsBytes(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode an alert", e);
        }
    }
}
