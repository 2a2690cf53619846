package dev.rotakey.vault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One HTTP exchange with Vault's API: builds the request (JSON body, percent-encoded path), sends it
 * over the {@link VaultTransport} and maps the status to a {@link VaultResponse} or to Rotakey's
 * {@link KeyBackendException} family, keeping tokens and request values out of the messages. Knows
 * nothing about logins or leases: the {@link VaultSession} gives it the token to send.
 */
final class VaultExchange {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ERROR_CHARS = 500;
    /** Request string values at least this long are blanked out of Vault's error messages. */
    private static final int MIN_SCRUBBED_VALUE = 12;

    private final VaultTransport transport;

    VaultExchange(VaultTransport transport) {
        this.transport = transport;
    }

    /** The same exchange over a transport that bypasses the driver (or not); for tests. */
    VaultExchange withDirectTransport(boolean direct) {
        return new VaultExchange(transport.withDirect(direct));
    }

    /** The Vault address ({@code https://vault:8200}, no trailing slash). */
    String address() {
        return transport.address();
    }

    /** The namespace sent with every request, or null. */
    String namespace() {
        return transport.namespace();
    }

    /**
     * Sends one request with {@code token} (none for a login) and maps the answer: 2xx and 404 for
     * GET/LIST/DELETE are returned; 503 (sealed), other 5xx, 429 and network failures throw
     * {@link KeyBackendUnavailableException}; 403 throws {@link VaultPermissionDeniedException}
     * naming the path; 400 and other statuses throw a non-retryable {@link KeyBackendException}
     * with Vault's errors, from which the token and long request values are blanked.
     */
    VaultResponse send(String method, String path, Map<String, ?> body, String token) {
        byte[] json = null;
        if (body != null) {
            try {
                json = JSON.writeValueAsBytes(body);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("request body for " + path + " is not serialisable", e);
            }
        }
        VaultTransport.Raw raw;
        try {
            raw = transport.send(method, encode(path), token, json);
        } catch (IOException e) {
            String why = e instanceof HttpTimeoutException ? "timed out"
                    : e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
            throw new KeyBackendUnavailableException("Vault at " + address() + " unreachable on " + method + " " + path
                    + " (" + why + scrub(e.getMessage() == null ? "" : ": " + e.getMessage(), token) + ")", e);
        } finally {
            if (json != null) {
                Arrays.fill(json, (byte) 0);
            }
        }
        int status = raw.status();
        JsonNode parsed = parse(raw.body());
        if (status >= 200 && status < 300) {
            return new VaultResponse(status, parsed);
        }
        String errors = scrubBody(scrub(errors(parsed), token), body);
        if (status == 404 && (method.equals("GET") || method.equals("LIST") || method.equals("DELETE"))) {
            return new VaultResponse(404, MissingNode.getInstance());
        }
        if (status == 503 || errors.contains("Vault is sealed")) {
            throw new KeyBackendUnavailableException("Vault at " + address() + " is sealed or in maintenance (503"
                    + errors + ") on " + method + " " + path);
        }
        if (status >= 500 || status == 429) {
            throw new KeyBackendUnavailableException("Vault at " + address() + " failed " + method + " " + path
                    + " (" + status + errors + ")");
        }
        if (status == 403) {
            throw new VaultPermissionDeniedException(path, "Vault permission denied on " + path + " (403" + errors + ")");
        }
        if (status == 404) {
            throw new KeyBackendException("Vault has nothing at " + path + " (404" + errors + ")");
        }
        throw new KeyBackendException("Vault refused " + method + " " + path + " (" + status + errors + ")");
    }

    private static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            return MissingNode.getInstance();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    /** Vault's {@code errors} array as {@code ": a; b"}, or empty; shortened so a huge body cannot flood logs. */
    private static String errors(JsonNode parsed) {
        List<String> list = new ArrayList<>();
        parsed.path("errors").forEach(e -> list.add(e.asText().replaceAll("\\s+", " ").trim()));
        if (list.isEmpty()) {
            return "";
        }
        String joined = ": " + String.join("; ", list);
        return joined.length() > MAX_ERROR_CHARS ? joined.substring(0, MAX_ERROR_CHARS) + "…" : joined;
    }

    /** Belt and braces: should Vault ever echo the token in an error, it does not travel further. */
    private static String scrub(String text, String token) {
        return token == null || token.isEmpty() ? text : text.replace(token, "<token>");
    }

    /**
     * Vault sometimes quotes a request field in its error ("unknown key type …"): long string values
     * (inputs, secret ids, secrets written to KV) are blanked so a request body never reaches a message.
     * Short values (a key type, a mount name) stay, since they make the message useful.
     */
    private static String scrubBody(String text, Object body) {
        if (text.isEmpty() || body == null) {
            return text;
        }
        String out = text;
        if (body instanceof Map<?, ?> map) {
            for (Object v : map.values()) {
                out = scrubBody(out, v);
            }
        } else if (body instanceof Iterable<?> list) {
            for (Object v : list) {
                out = scrubBody(out, v);
            }
        } else if (body instanceof CharSequence cs && cs.length() >= MIN_SCRUBBED_VALUE) {
            out = out.replace(cs.toString(), "<redacted>");
        }
        return out;
    }

    /** Refuses a path that is not relative to {@code /v1/} or could climb out of it. */
    static void checkPath(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.contains("..") || path.contains("#")) {
            throw new IllegalArgumentException("not a Vault API path relative to /v1/: " + path);
        }
    }

    /** Percent-encodes each segment (KV paths may hold characters a URI cannot); the query is passed as given. */
    private static String encode(String path) {
        int q = path.indexOf('?');
        String p = q < 0 ? path : path.substring(0, q);
        StringBuilder out = new StringBuilder();
        for (byte b : p.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return q < 0 ? out.toString() : out + path.substring(q);
    }
}
