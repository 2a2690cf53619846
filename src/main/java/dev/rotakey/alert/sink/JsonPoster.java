package dev.rotakey.alert.sink;

import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.outbound.JsonPostClient;
import dev.rotakey.outbound.PostFailedException;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * POSTs a JSON body for one HTTP alert sink through a {@link JsonPostClient} and turns a failure into
 * an {@link AlertDeliveryException} that names the sink and the status, never the URL (Slack's is a
 * secret) or anything sent.
 */
final class JsonPoster {
    private final String sink;
    private final JsonPostClient client;

    JsonPoster(String sink, Duration timeout, SSLContext ssl) {
        this.sink = sink;
        this.client = new JsonPostClient(timeout, ssl);
    }

    /** Sends {@code body} with {@code headers}; the answer's body is not read. */
    void post(URI to, byte[] body, Map<String, String> headers) throws AlertDeliveryException {
        try {
            client.post(to, body, headers, HttpResponse.BodyHandlers.discarding());
        } catch (PostFailedException e) {
            throw new AlertDeliveryException(sink + e.getMessage(), e.retryable());
        }
    }

    @Override
    public String toString() {
        return "JsonPoster{" + sink + ", timeout=" + client.timeout() + "}";
    }
}
