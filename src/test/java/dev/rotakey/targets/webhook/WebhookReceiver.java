package dev.rotakey.targets.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A consuming system in the tests: verifies each request's signature exactly as docs/targets.md tells
 * receivers to (HMAC recomputed, compared in constant time, timestamp within a tolerance), records what it accepted and keeps the versions it was given, like a real consumer.
 */
final class WebhookReceiver implements AutoCloseable {
    static final String HOOK = "/hook";
    static final String VERIFY = "/verify";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as it arrived, so that a test can send it again byte for byte. */
    record Raw(String timestamp, String signature, String eventId, byte[] body) {
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final byte[] key;
    private final Duration tolerance;
    private final AtomicReference<Instant> now = new AtomicReference<>();
    private final LinkedBlockingQueue<Integer> scriptedStatuses = new LinkedBlockingQueue<>();
    private final AtomicReference<CountDownLatch> gate = new AtomicReference<>();
    private final List<JsonNode> accepted = new ArrayList<>();
    private final List<Raw> acceptedRaw = new ArrayList<>();
    private final List<JsonNode> verifications = new ArrayList<>();
    /** credential → version → the material (key, or certificate PEM) this consumer now holds. */
    private final Map<String, TreeMap<Integer, String>> held = new ConcurrentHashMap<>();
    private int rejected;

    private WebhookReceiver(HttpServer server, byte[] key, Duration tolerance) {
        this.server = server;
        this.key = key.clone();
        this.tolerance = tolerance;
        server.createContext(HOOK, this::hook);
        server.createContext(VERIFY, this::verify);
        server.setExecutor(threads);
        server.start();
    }

    /** A plain-HTTP receiver on loopback. */
    static WebhookReceiver http(byte[] key, Duration tolerance) throws IOException {
        return new WebhookReceiver(HttpServer.create(loopback(), 0), key, tolerance);
    }

    /** An HTTPS receiver on loopback; with {@code requireClientCertificate}, a client without one is refused. */
    static WebhookReceiver https(byte[] key, Duration tolerance, SSLContext ssl, boolean requireClientCertificate)
            throws IOException {
        HttpsServer server = HttpsServer.create(loopback(), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = ssl.getDefaultSSLParameters();
                p.setNeedClientAuth(requireClientCertificate);
                params.setSSLParameters(p);
            }
        });
        return new WebhookReceiver(server, key, tolerance);
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    String url(String path) {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return scheme + "://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Answers the next requests with these statuses, before looking at them (a failing or overloaded consumer). */
    void answer(int... statuses) {
        for (int s : statuses) {
            scriptedStatuses.add(s);
        }
    }

    /** Holds every request until the returned latch is counted down: a consumer that hangs. */
    CountDownLatch hang() {
        CountDownLatch latch = new CountDownLatch(1);
        gate.set(latch);
        return latch;
    }

    /** Pretends the receiver's clock shows {@code instant} (null: the real clock). */
    void clock(Instant instant) {
        now.set(instant);
    }

    synchronized List<JsonNode> accepted() {
        return List.copyOf(accepted);
    }

    synchronized List<Raw> acceptedRaw() {
        return List.copyOf(acceptedRaw);
    }

    /** Authentic verify requests, as received. */
    synchronized List<JsonNode> verifications() {
        return List.copyOf(verifications);
    }

    synchronized int rejected() {
        return rejected;
    }

    /** The material of the newest version this consumer holds for {@code credential}. */
    Optional<String> newest(String credential) {
        TreeMap<Integer, String> versions = held.get(credential);
        return versions == null || versions.isEmpty() ? Optional.empty() : Optional.of(versions.lastEntry().getValue());
    }

    private void hook(HttpExchange exchange) throws IOException {
        handle(exchange, (event, body) -> {
            String credential = body.path("credential").asText();
            int version = body.path("version").asInt();
            switch (event) {
                case "credential.delivered" -> {
                    JsonNode material = body.path("material");
                    String content = material.has("key") ? material.path("key").asText()
                            : material.path("certificate").asText();
                    held.computeIfAbsent(credential, c -> new TreeMap<>()).put(version, content);
                }
                case "credential.revoked", "credential.discarded" -> {
                    TreeMap<Integer, String> versions = held.get(credential);
                    if (versions != null) {
                        versions.remove(version);
                    }
                }
                default -> {
                    return 400;
                }
            }
            return 204;
        });
    }

    private void verify(HttpExchange exchange) throws IOException {
        handle(exchange, (event, body) -> {
            if (!event.equals("credential.verify")) {
                return 400;
            }
            TreeMap<Integer, String> versions = held.get(body.path("credential").asText());
            String content = versions == null ? null : versions.get(body.path("version").asInt());
            boolean valid = content != null && MessageDigest.isEqual(
                    sha256(content).getBytes(StandardCharsets.US_ASCII),
                    body.path("digest").asText().getBytes(StandardCharsets.US_ASCII));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            byte[] answer = ("{\"valid\":" + valid + "}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            return -1;
        });
    }

    private interface EventHandler {
        /** Handles an authentic event; returns the status to answer with an empty body, or -1 when it answered itself. */
        int handle(String event, JsonNode body) throws IOException;
    }

    private void handle(HttpExchange exchange, EventHandler handler) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            CountDownLatch latch = gate.get();
            if (latch != null) {
                try {
                    latch.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Integer scripted = scriptedStatuses.poll();
            if (scripted != null) {
                exchange.sendResponseHeaders(scripted, -1);
                return;
            }
            String timestamp = exchange.getRequestHeaders().getFirst(WebhookTarget.TIMESTAMP_HEADER);
            String signature = exchange.getRequestHeaders().getFirst(WebhookTarget.SIGNATURE_HEADER);
            String eventId = exchange.getRequestHeaders().getFirst(WebhookTarget.EVENT_ID_HEADER);
            if (!authentic(timestamp, signature, body) || eventId == null) {
                synchronized (this) {
                    rejected++;
                }
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            JsonNode json = JSON.readTree(body);
            String event = json.path("event").asText();
            synchronized (this) {
                if (event.equals("credential.verify")) {
                    verifications.add(json);
                } else {
                    accepted.add(json);
                    acceptedRaw.add(new Raw(timestamp, signature, eventId, body));
                }
            }
            // applying an event again changes nothing (store a version, remove a version): that is what
            // makes a retry after a lost answer safe, without having to remember event ids
            int status = handler.handle(event, json);
            if (status > 0) {
                exchange.sendResponseHeaders(status, -1);
            }
        }
    }

    /** What docs/targets.md asks of every receiver. */
    private boolean authentic(String timestamp, String signature, byte[] body) {
        if (timestamp == null || signature == null || !signature.startsWith("v1=")) {
            return false;
        }
        long sent;
        try {
            sent = Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            return false;
        }
        Instant clock = now.get() == null ? Instant.now() : now.get();
        if (Math.abs(clock.getEpochSecond() - sent) > tolerance.toSeconds()) {
            return false; // too old (a replay) or from a clock far ahead
        }
        byte[] expected = hmac(key, timestamp + ".", body).getBytes(StandardCharsets.US_ASCII);
        byte[] given = signature.substring(3).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given);
    }

    static String hmac(byte[] key, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(String content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(content.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        CountDownLatch latch = gate.getAndSet(null);
        if (latch != null) {
            latch.countDown();
        }
        server.stop(0);
        threads.shutdownNow();
    }
}
