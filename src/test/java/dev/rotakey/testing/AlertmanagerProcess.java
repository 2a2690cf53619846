package dev.rotakey.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The machine's real Alertmanager ({@code /usr/bin/prometheus-alertmanager}) on a free loopback
 * port, with a throwaway config (one route to a receiver that sends nothing), its own storage
 * directory and clustering off, for tests that check what Rotakey's alerts look like once they arrive.
 * Close it to kill the process; {@link #log()} holds what it printed.
 */
public final class AlertmanagerProcess implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/prometheus-alertmanager");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = """
            route:
              receiver: discard
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: discard
            """;

    private final Path dir;
    private final Path logFile;
    private final Process process;
    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private AlertmanagerProcess(Path dir, Path logFile, Process process, String baseUrl) {
        this.dir = dir;
        this.logFile = logFile;
        this.process = process;
        this.baseUrl = baseUrl;
    }

    /**
     * Starts Alertmanager and waits until {@code /-/ready} answers 200; fails with its log if it does
     * not within 30 s. The free port is found before Alertmanager binds it, so another process may take
     * it in between: an Alertmanager that exits at once is started again on another port, up to three times.
     */
    public static AlertmanagerProcess start() {
        if (!Files.isExecutable(BINARY)) {
            throw new AssertionError(BINARY + " is missing: apt-get install prometheus-alertmanager");
        }
        for (int attempt = 1; ; attempt++) {
            AlertmanagerProcess am = launch();
            try {
                am.awaitReady();
                return am;
            } catch (RuntimeException | AssertionError e) {
                boolean exited = !am.process.isAlive();
                String output = am.log();
                am.close();
                if (!exited || attempt == 3) {
                    throw new AssertionError("Alertmanager did not become ready:\n" + output, e);
                }
            }
        }
    }

    private static AlertmanagerProcess launch() {
        try {
            Path dir = Files.createTempDirectory("alertmanager");
            Path config = Files.writeString(dir.resolve("alertmanager.yml"), CONFIG);
            Path storage = Files.createDirectory(dir.resolve("data"));
            Path log = dir.resolve("alertmanager.log");
            int port = freePort();
            Process process = new ProcessBuilder(BINARY.toString(),
                    "--config.file=" + config,
                    "--storage.path=" + storage,
                    "--web.listen-address=127.0.0.1:" + port,
                    "--cluster.listen-address=") // empty: no gossip, no cluster port to collide with
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            return new AlertmanagerProcess(dir, log, process, "http://127.0.0.1:" + port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + BINARY, e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void awaitReady() {
        try {
            Awaitility.await("Alertmanager /-/ready").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    // Connections are refused until it listens.
                    .ignoreException(UncheckedIOException.class)
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new AssertionError("Alertmanager exited with " + process.exitValue());
                        }
                        try {
                            return get("/-/ready").statusCode() == 200;
                        } catch (UncheckedIOException notListeningYet) {
                            return false;
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("Alertmanager was not ready within 30 s", e);
        }
    }

    /** {@code http://127.0.0.1:<port>}, what an {@code alertmanager} sink's {@code url} is set to. */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * {@code GET /api/v2/alerts}: the alerts Alertmanager holds that have not ended (resolved ones are
     * left out), optionally narrowed by matchers such as {@code alertname="RotakeyRotationFailed"}.
     */
    public JsonNode alerts(String... matchers) {
        StringJoiner query = new StringJoiner("&", "?", "").setEmptyValue("");
        for (String m : matchers) {
            query.add("filter=" + URLEncoder.encode(m, StandardCharsets.UTF_8));
        }
        HttpResponse<String> response = get("/api/v2/alerts" + query);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /api/v2/alerts answered " + response.statusCode() + ": " + response.body()
                    + "\n" + log());
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("GET /api/v2/alerts answered something other than JSON: " + response.body(), e);
        }
    }

    private HttpResponse<String> get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path + " from Alertmanager failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Everything Alertmanager has printed so far. */
    public String log() {
        try {
            return Files.readString(logFile);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Kills the process and removes its config and storage. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp directory is harmless
        }
    }
}
