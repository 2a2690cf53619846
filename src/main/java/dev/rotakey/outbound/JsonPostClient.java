package dev.rotakey.outbound;

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
 * POSTs JSON to one configured receiver (a webhook target, an HTTP alert sink, a SIEM collector, a reload hook) and sorts the outcome
 * the same way for all of them: 2xx is done; a timeout, a refused connection, 5xx, 408 and 429 may pass
 * if tried again; any other status will not. Failures say what happened without quoting the URL or
 * anything sent, so that callers can put them after their own name.
 */
public final class JsonPostClient {
    private final Duration timeout;
    private final HttpClient client;

    /** {@code timeout} bounds both connecting and waiting for the answer; {@code ssl} null means the JDK's defaults. */
    public JsonPostClient(Duration timeout, SSLContext ssl) {
        this.timeout = timeout;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout)
                // a redirect would carry the signed body (or an Authorization header) somewhere never configured
                .followRedirects(HttpClient.Redirect.NEVER);
        if (ssl != null) {
            builder.sslContext(ssl);
        }
        this.client = builder.build();
    }

    /** Sends {@code body} with {@code headers}; returns the 2xx response's body as {@code answer} reads it. */
    public <T> T post(URI to, byte[] body, Map<String, String> headers, HttpResponse.BodyHandler<T> answer)
            throws PostFailedException {
        return post(to, "application/json", body, headers, answer);
    }

    /** Sends {@code body} of {@code contentType} (JSON lines, …) with {@code headers}, sorted out as JSON is. */
    public <T> T post(URI to, String contentType, byte[] body, Map<String, String> headers,
                      HttpResponse.BodyHandler<T> answer) throws PostFailedException {
        return send("POST", to, contentType, body, headers, answer);
    }

    /** Sends {@code body} with another method than POST (a reload hook's PUT), sorted out as a POST is. */
    public <T> T send(String method, URI to, String contentType, byte[] body, Map<String, String> headers,
                      HttpResponse.BodyHandler<T> answer) throws PostFailedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(to)
                .timeout(timeout)
                .header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        HttpResponse<T> response;
        try {
            response = client.send(request.build(), answer);
        } catch (HttpTimeoutException e) {
            throw new PostFailedException(" timed out after " + timeout, true);
        } catch (IOException e) {
            // refused or reset connection, TLS handshake failure, …: the type is enough and quotes nothing we sent
            throw new PostFailedException(" failed (" + e.getClass().getSimpleName() + ")", true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostFailedException(" was interrupted", true);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return response.body();
        }
        // 408 and 429 say "later"; any other 4xx (a wrong signature or key, a refused body) or a redirect will not
        // change by itself
        boolean retryable = status >= 500 || status == 408 || status == 429;
        throw new PostFailedException(" answered HTTP " + status, retryable);
    }

    public Duration timeout() {
        return timeout;
    }

    @Override
    public String toString() {
        return "JsonPostClient{timeout=" + timeout + "}";
    }
}
