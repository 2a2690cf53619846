package dev.rotakey.targets.hooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.outbound.JsonPostClient;
import dev.rotakey.outbound.PostFailedException;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An {@code http} hook: POSTs (or PUTs) a JSON description of the delivery, never the credential, to the consumer's
 * reload endpoint, with a bearer token when one is configured; a 2xx answer is success. Redirects are not followed.
 */
final class HttpHook implements ReloadHook {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final URI url;
    private final String method;
    private final Map<String, String> headers;
    private final JsonPostClient client;

    /** @param headers sent with every request: the Authorization header when a token is configured */
    HttpHook(String name, URI url, String method, Map<String, String> headers, JsonPostClient client) {
        this.name = name;
        this.url = url;
        this.method = method;
        this.headers = Map.copyOf(headers);
        this.client = client;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void run(HookContext context) {
        try {
            client.send(method, url, "application/json", body(context), headers,
                    HttpResponse.BodyHandlers.discarding());
        } catch (PostFailedException e) {
            // its message quotes neither the URL (which may hold a token in its query) nor what was sent
            throw new ReloadHookException(name, context.target(), e.getMessage().strip(), e.retryable());
        }
    }

    static byte[] body(HookContext context) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("target", context.target());
        body.put("agent", context.agentId());
        body.put("credential", context.credentialId());
        body.put("version", context.version());
        body.put("stage", context.stage());
        body.put("path", context.path().toString());
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a reload hook's body", e);
        }
    }

    /** The host only: the URL's query may carry a token, and the headers do. */
    @Override
    public String toString() {
        return "HttpHook{name=" + name + ", method=" + method + ", host=" + url.getHost()
                + ", timeout=" + client.timeout() + "}";
    }
}
