package dev.rotakey.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.testing.RecordingHttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a webhook consumer holds, replayed from the events a real loopback receiver recorded: per
 * credential and version the material last delivered, unless a later event revoked or discarded it.
 * The receiver outlives the daemon processes, so it can be read while the daemon is down.
 */
final class WebhookLedger implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RecordingHttpServer server;

    WebhookLedger() throws IOException {
        this.server = new RecordingHttpServer(200);
    }

    String url() {
        return server.url("/hook");
    }

    /** The material the consumer holds for {@code credential} version {@code version}: the key, password or certificate PEM. */
    Optional<String> held(String credential, int version) {
        return Optional.ofNullable(holdings().get(credential + "/v" + version));
    }

    /** Every (credential/vN) the consumer holds now, with its material. */
    Map<String, String> holdings() {
        Map<String, String> held = new HashMap<>();
        for (RecordingHttpServer.Request r : server.requests()) {
            JsonNode e = parse(r.text());
            String key = e.path("credential").asText() + "/v" + e.path("version").asInt();
            switch (e.path("event").asText()) {
                case "credential.delivered" -> {
                    JsonNode m = e.path("material");
                    held.put(key, (m.has("certificate") ? m.path("certificate").asText() : m.path("key").asText()).trim());
                }
                case "credential.revoked", "credential.discarded" -> held.remove(key);
                default -> { }
            }
        }
        return held;
    }

    /** The version whose delivered material (any delivery, revoked since or not) has this SHA-256, hex; "unknown" if none. */
    String versionWithSha256(String credential, String sha256) {
        for (RecordingHttpServer.Request r : server.requests()) {
            JsonNode e = parse(r.text());
            if (e.path("credential").asText().equals(credential) && e.path("event").asText().equals("credential.delivered")) {
                String key = e.path("material").path("key").asText();
                if (sha256Hex(key).equals(sha256)) {
                    return "v" + e.path("version").asInt();
                }
            }
        }
        return "unknown";
    }

    private static String sha256Hex(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("the webhook target sent something that is not JSON", e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
