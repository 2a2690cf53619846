package dev.rotakey.vault;

import dev.rotakey.config.TlsFactory;

import io.github.jopenlibs.vault.rest.Rest;
import io.github.jopenlibs.vault.rest.RestException;
import io.github.jopenlibs.vault.rest.RestResponse;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The HTTP leg to one Vault server, through the vault-java-driver's {@link Rest} (which gives the
 * status and body of every answer, 204s included) on a {@link HttpClient} built here with the
 * configured TLS material and connect timeout. Knows nothing about tokens' lifetimes or error meanings.
 */
final class VaultTransport {
    /** A raw answer: status and body bytes (empty for 204). */
    record Raw(int status, byte[] body) {
    }

    private final String address;
    private final String namespace;
    private final HttpClient client;
    private final int readTimeoutSeconds;
    /**
     * The driver turns a response body into bytes with {@code String.getBytes()}, i.e. the platform
     * charset. On Java 17 under a POSIX locale (a systemd unit without {@code LANG}) that is ASCII and
     * every non-ASCII character of a KV secret would come back as '?'. Then, and only then, requests
     * go through the same {@link HttpClient} directly, reading the body as UTF-8 bytes.
     */
    private final boolean direct;

    private VaultTransport(String address, String namespace, HttpClient client, int readTimeoutSeconds, boolean direct) {
        this.address = address;
        this.namespace = namespace;
        this.client = client;
        this.readTimeoutSeconds = readTimeoutSeconds;
        this.direct = direct;
    }

    /** The same transport, forced to bypass (or use) the driver: lets tests cover both paths on any platform. */
    VaultTransport withDirect(boolean useHttpClient) {
        return new VaultTransport(address, namespace, client, readTimeoutSeconds, useHttpClient);
    }

    boolean direct() {
        return direct;
    }

    static VaultTransport create(String address, String namespace, TlsFactory tls, Duration connectTimeout,
                                 Duration readTimeout, String tlsKey) {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout);
        if (address.startsWith("https:")) {
            builder.sslContext((tls == null ? new TlsFactory() : tls).sslContext(tlsKey));
        }
        // The driver takes whole seconds for the request timeout: round up so a sub-second setting is never 0 (= none).
        long seconds = Math.max(1, (readTimeout.toMillis() + 999) / 1000);
        return new VaultTransport(address, namespace, builder.build(), (int) Math.min(Integer.MAX_VALUE, seconds),
                !StandardCharsets.UTF_8.equals(Charset.defaultCharset()));
    }

    String address() {
        return address;
    }

    String namespace() {
        return namespace;
    }

    /**
     * Sends one request. {@code LIST} goes as {@code GET ?list=true} (the driver has no LIST verb;
     * Vault documents the GET form as equivalent).
     *
     * @param pathAndQuery already encoded, relative to {@code /v1/}
     * @throws IOException when Vault cannot be reached or does not answer in time
     */
    Raw send(String method, String pathAndQuery, String token, byte[] body) throws IOException {
        String url = address + "/v1/" + pathAndQuery;
        if (method.equals("LIST")) {
            url += (pathAndQuery.contains("?") ? "&" : "?") + "list=true";
        }
        if (direct) {
            return sendDirect(method, url, token, body);
        }
        Rest rest = new Rest(client).url(url).readTimeoutSeconds(readTimeoutSeconds);
        if (token != null) {
            rest.header("X-Vault-Token", token);
        }
        if (namespace != null && !namespace.isBlank()) {
            rest.header("X-Vault-Namespace", namespace);
        }
        // Vault asks clients to send this header so a browser-originated request is told apart.
        rest.header("X-Vault-Request", "true");
        if (body != null) {
            rest.header("Content-Type", "application/json").body(body);
        }
        try {
            RestResponse response = switch (method) {
                case "GET", "LIST" -> rest.get();
                case "POST" -> rest.post();
                case "PUT" -> rest.put();
                case "DELETE" -> rest.delete();
                default -> throw new IllegalArgumentException("unsupported method " + method);
            };
            byte[] bytes = response.getBody();
            return new Raw(response.getStatus(), bytes == null ? new byte[0] : bytes);
        } catch (RestException e) {
            Throwable cause = e.getCause();
            if (cause instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", cause);
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(cause == null ? e.getMessage() : cause.toString(), e);
        }
    }

    private Raw sendDirect(String method, String url, String token, byte[] body) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(readTimeoutSeconds))
                .header("X-Vault-Request", "true");
        if (token != null) {
            request.header("X-Vault-Token", token);
        }
        if (namespace != null && !namespace.isBlank()) {
            request.header("X-Vault-Namespace", namespace);
        }
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        switch (method) {
            case "GET", "LIST" -> request.GET();
            case "POST" -> request.POST(publisher);
            case "PUT" -> request.PUT(publisher);
            case "DELETE" -> request.DELETE();
            default -> throw new IllegalArgumentException("unsupported method " + method);
        }
        try {
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Raw(response.statusCode(), response.body() == null ? new byte[0] : response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
