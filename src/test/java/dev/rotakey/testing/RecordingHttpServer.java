package dev.rotakey.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.SSLContext;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * A real HTTP (or HTTPS) server on loopback standing in for a webhook receiver, Slack or PagerDuty: records
 * every request as it arrived and answers with a default status, or with scripted ones.
 */
public final class RecordingHttpServer implements AutoCloseable {
    /** One request as it arrived; header names in lower case. */
    public record Request(String method, String path, Map<String, String> headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final int defaultStatus;
    private final LinkedBlockingQueue<Integer> scripted = new LinkedBlockingQueue<>();
    private final AtomicReference<CountDownLatch> gate = new AtomicReference<>();
    private final List<Request> requests = new ArrayList<>();

    public RecordingHttpServer(int defaultStatus) throws IOException {
        this(defaultStatus, null);
    }

    /** With {@code tls}, an HTTPS server presenting that context's certificate. */
    public RecordingHttpServer(int defaultStatus, SSLContext tls) throws IOException {
        this.defaultStatus = defaultStatus;
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            server = HttpServer.create(loopback, 0);
        } else {
            HttpsServer https = HttpsServer.create(loopback, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    public String url(String path) {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Answers the next requests with these statuses. */
    public void answer(int... statuses) {
        for (int s : statuses) {
            scripted.add(s);
        }
    }

    /** Forgets the statuses {@link #answer} scripted: the next requests get the default status. */
    public void answerNormally() {
        scripted.clear();
    }

    /** Holds every request until close: a receiver that hangs. */
    public void hang() {
        gate.set(new CountDownLatch(1));
    }

    public synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            Map<String, String> headers = exchange.getRequestHeaders().entrySet().stream()
                    .collect(Collectors.toMap(e -> e.getKey().toLowerCase(), e -> String.join(",", e.getValue())));
            synchronized (this) {
                requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers, body));
            }
            CountDownLatch latch = gate.get();
            if (latch != null) {
                try {
                    latch.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Integer status = scripted.poll();
            int s = status == null ? defaultStatus : status;
            if (s >= 300 && s < 400) {
                exchange.getResponseHeaders().add("Location", url("/elsewhere"));
            }
            exchange.sendResponseHeaders(s, -1);
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
