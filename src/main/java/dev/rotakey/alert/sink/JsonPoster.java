package dev.rotakey.alert.sink;

import dev.rotakey.alert.AlertDeliveryException;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;

/**
 * POSTs a JSON body for one HTTP alert sink and sorts the outcome the way the webhook target does:
 * 2xx is delivered; a timeout, a refused connection, 5xx, 408 and 429 may pass if tried again; any
 * other status will not. Messages name the sink and the status, never the URL (Slack's is a secret)
 * or anything sent.
 */
final class JsonPoster {
    private final String sink;
    private final Duration timeout;
    private final HttpClient client;

    JsonPoster(String sink, Duration timeout, SSLContext ssl) {
        this.sink = sink;
        this.timeout = timeout;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout)
                // a redirect would carry the alert (and any Authorization header) somewhere never configured
                .followRedirects(HttpClient.Redirect.NEVER);
        if (ssl != null) {
            builder.sslContext(ssl);
        }
        this.client = builder.build();
    }

    /** Sends {@code body} with {@code headers}; returns the 2xx status. */
    int post(URI to, byte[] body, Map<String, String> headers) throws AlertDeliveryException {
        HttpRequest.Builder request = HttpRequest.newBuilder(to)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        HttpResponse<Void> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
        } catch (HttpTimeoutException e) {
            throw new AlertDeliveryException(sink + " timed out after " + timeout, true);
        } catch (IOException e) {
            // refused or reset connection, TLS handshake failure: the type is enough and quotes nothing we sent
            throw new AlertDeliveryException(sink + " failed (" + e.getClass().getSimpleName() + ")", true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AlertDeliveryException(sink + " was interrupted", true);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return status;
        }
        // 408 and 429 say "later"; any other 4xx (a wrong key, a refused body) or a redirect will not change by itself
        boolean retryable = status >= 500 || status == 408 || status == 429;
        throw new AlertDeliveryException(sink + " answered HTTP " + status, retryable);
    }

    @Override
    public String toString() {
        return "JsonPoster{" + sink + ", timeout=" + timeout + "}";
    }
}
