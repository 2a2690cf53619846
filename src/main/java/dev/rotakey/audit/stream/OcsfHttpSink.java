package dev.rotakey.audit.stream;

import dev.rotakey.db.AuditDao.Chained;
import dev.rotakey.outbound.JsonPostClient;
import dev.rotakey.outbound.PostFailedException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * POSTs audit events as OCSF JSON lines ({@code application/x-ndjson}, one batch per request) to an HTTP collector;
 * a 2xx answer is the receipt that lets the stream's cursor move.
 */
final class OcsfHttpSink implements AuditStreamSink {
    private final URI url;
    private final Map<String, String> headers;
    private final JsonPostClient client;
    private final OcsfEvents ocsf;

    /** @param headers sent with every request (an Authorization header read from a secret source, …) */
    OcsfHttpSink(URI url, Map<String, String> headers, JsonPostClient client, OcsfEvents ocsf) {
        this.url = url;
        this.headers = Map.copyOf(headers);
        this.client = client;
        this.ocsf = ocsf;
    }

    @Override
    public void deliver(List<Chained> events) throws IOException {
        try {
            client.post(url, "application/x-ndjson", ocsf.lines(events).getBytes(StandardCharsets.UTF_8), headers,
                    HttpResponse.BodyHandlers.discarding());
        } catch (PostFailedException e) {
            throw new IOException("the collector" + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        // the HTTP client keeps no connection that needs closing
    }

    @Override
    public String toString() {
        // the URL may carry a collector's token in its query: never repeated
        return "ocsf-http:" + url.getHost();
    }
}
