package dev.rotakey.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The consuming system behind the {@code webhook} target, written as docs/targets.md asks receivers to be: it checks
 * each request's HMAC signature, keeps the versions it was given until they are revoked or discarded, and
 * answers the verify call by digest. It is also where the fault model learns each version's plaintext, since
 * Rotakey never returns a secret over its API.
 */
final class ConsumerHook implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One version as delivered: its secret (the key, or the certificate PEM for certificates). */
    record Held(String credential, int version, String secret) {
        @Override
        public String toString() {
            return credential + "/v" + version; // never the secret
        }
    }

    private final HttpServer server;
    private final byte[] key;
    /** Versions held now, by "credential/vN". */
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    /** Every secret ever delivered for "credential/vN", in order: a crash may deliver a version again. */
    private final Map<String, List<String>> everDelivered = new ConcurrentHashMap<>();

    ConsumerHook(byte[] key) {
        this.key = key.clone();
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException("consumer cannot listen", e);
        }
        server.createContext("/events", this::events);
        server.createContext("/verify", this::verify);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void events(HttpExchange ex) throws IOException {
        JsonNode event = signedEvent(ex);
        if (event == null) {
            return;
        }
        String id = event.path("credential").asText() + "/v" + event.path("version").asInt();
        switch (event.path("event").asText()) {
            case "credential.delivered" -> {
                JsonNode m = event.path("material");
                String secret = m.has("key") ? m.get("key").asText() : m.path("certificate").asText();
                held.put(id, new Held(event.path("credential").asText(), event.path("version").asInt(), secret));
                everDelivered.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(secret);
            }
            case "credential.revoked", "credential.discarded" -> held.remove(id);
            default -> {
                answer(ex, 400, "{}");
                return;
            }
        }
        answer(ex, 200, "{}");
    }

    private void verify(HttpExchange ex) throws IOException {
        JsonNode event = signedEvent(ex);
        if (event == null) {
            return;
        }
        Held h = held.get(event.path("credential").asText() + "/v" + event.path("version").asInt());
        boolean valid = h != null && sha256(h.secret()).equals(event.path("digest").asText());
        answer(ex, 200, "{\"valid\":" + valid + "}");
    }

    /** The parsed event when its signature is right; otherwise answers 401 and returns null. */
    private JsonNode signedEvent(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        String ts = ex.getRequestHeaders().getFirst("Rotakey-Timestamp");
        String sig = ex.getRequestHeaders().getFirst("Rotakey-Signature");
        if (ts == null || sig == null || !sig.startsWith("v1=")) {
            answer(ex, 401, "{}");
            return null;
        }
        byte[] expected;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((ts + ".").getBytes(StandardCharsets.UTF_8));
            expected = HexFormat.of().formatHex(mac.doFinal(body)).getBytes(StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        if (!MessageDigest.isEqual(expected, sig.substring(3).getBytes(StandardCharsets.US_ASCII))) {
            answer(ex, 401, "{}");
            return null;
        }
        return JSON.readTree(body);
    }

    private static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The version the consumer holds now, if any. */
    Optional<Held> holds(String credential, int version) {
        return Optional.ofNullable(held.get(credential + "/v" + version));
    }

    /** Versions of one credential the consumer holds now. */
    List<Held> heldOf(String credential) {
        return held.values().stream().filter(h -> h.credential().equals(credential)).toList();
    }

    /** The last secret delivered for a version (whether still held or not), if it was ever delivered. */
    Optional<String> lastDelivered(String credential, int version) {
        List<String> all = everDelivered.get(credential + "/v" + version);
        return all == null || all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Every secret delivered for a version, in order. */
    List<String> allDelivered(String credential, int version) {
        return List.copyOf(everDelivered.getOrDefault(credential + "/v" + version, List.of()));
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
