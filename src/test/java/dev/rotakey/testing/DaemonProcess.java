package dev.rotakey.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * The real daemon as a separate JVM ({@code RotakeyApplication server <config>} on the test's class
 * path), so that a test can SIGKILL it and start it again on the same data directory. The shipped config
 * reads {@code ROTAKEY_DATA_DIR} and the two ports from the environment; further settings are passed as
 * {@code -Ddw.} overrides, and fail points ({@link dev.rotakey.core.FailPoints}) as a spec per start.
 *
 * <p>Use: {@code new DaemonProcess(config, dataDir, overrides, env)}, then {@link #start(String)} (waits
 * until the API answers), {@link #awaitFailPoints}, {@link #kill()} (SIGKILL: nothing runs on the way out),
 * {@link #start(String)} again; {@link #stop()} is the graceful way out. {@link #log()} is every start's
 * console output.
 *
 * <p>Start-up speed matters here (the crash test starts a daemon 22 times): the JVM is tuned for it, and class
 * data sharing ({@link SharedClasses}) spares every start after the first graceful stop most of its class loading.
 */
public final class DaemonProcess implements AutoCloseable {
    /** One HTTP answer. */
    public record Answer(int status, String body) {
    }

    private final Path config;
    private final Path dataDir;
    private final Map<String, String> overrides;
    private final Map<String, String> env;
    private final int httpPort = freePort();
    private final int adminPort = freePort();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;
    /** The admin token file this test authenticates with: the daemon's own, or another node's of its cluster. */
    private Path tokenFile;
    private int starts;
    /** Whether the running process dumps its loaded classes when it exits. */
    private boolean dumping;

    /**
     * @param config    the YAML config, e.g. {@code config/rotakey.yml}
     * @param dataDir   {@code ROTAKEY_DATA_DIR}; kept across restarts
     * @param overrides config key to value, passed as {@code -Ddw.<key>=<value>}
     * @param env       further environment variables (e.g. {@code SOFTHSM2_CONF})
     */
    public DaemonProcess(Path config, Path dataDir, Map<String, String> overrides, Map<String, String> env) {
        this.config = config.toAbsolutePath();
        this.dataDir = dataDir.toAbsolutePath();
        this.overrides = new LinkedHashMap<>(overrides);
        this.env = new LinkedHashMap<>(env);
        this.tokenFile = this.dataDir.resolve("admin-token");
    }

    /**
     * Authenticates with {@code other}'s admin token: for a node of a cluster that started after {@code other},
     * which writes no token file of its own.
     */
    public DaemonProcess usingTokenOf(DaemonProcess other) {
        this.tokenFile = other.tokenFile;
        return this;
    }

    /**
     * Starts the daemon with {@code failPoints} armed (empty: none) and waits until its API answers an
     * authenticated request. The announcement file of earlier starts is cleared first.
     */
    public void start(String failPoints) {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the daemon is already running");
        }
        try {
            Files.createDirectories(dataDir);
            Files.deleteIfExists(announceFile());
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            // Start-up speed over peak throughput: these daemons live for seconds.
            command.addAll(List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                    "--add-exports", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED"));
            dumping = !SHARED.ready();
            command.add(dumping ? "-XX:ArchiveClassesAtExit=" + SHARED.dump() : "-XX:SharedArchiveFile=" + SHARED.archive());
            overrides.forEach((k, v) -> command.add("-Ddw." + k + "=" + v));
            command.add("-Drotakey.failpoints=" + failPoints);
            command.add("-Drotakey.failpoints.announce=" + announceFile());
            command.addAll(List.of("-cp", SHARED.classPath(), "dev.rotakey.RotakeyApplication", "server", config.toString()));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
            builder.environment().put("ROTAKEY_DATA_DIR", dataDir.toString());
            builder.environment().put("ROTAKEY_HTTP_PORT", Integer.toString(httpPort));
            builder.environment().put("ROTAKEY_ADMIN_PORT", Integer.toString(adminPort));
            builder.environment().putAll(env);
            Files.writeString(logFile(), "=== start " + (++starts) + " failpoints=" + failPoints + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the daemon", e);
        }
        await("daemon start " + starts).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("the daemon exited with " + process.exitValue() + ":\n" + tail(60));
            }
            return Files.exists(tokenFile) && answers();
        });
    }

    /**
     * Runs a command of the daemon's jar ({@code rotakey <args…> CONFIG}, e.g. {@code audit verify}) with this daemon's
     * configuration, overrides and environment, and answers its exit status and output (stdout and stderr).
     */
    public Answer command(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1",
                "--add-exports", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED"));
        overrides.forEach((k, v) -> command.add("-Ddw." + k + "=" + v));
        command.addAll(List.of("-cp", SHARED.classPath(), "dev.rotakey.RotakeyApplication"));
        command.addAll(List.of(args));
        command.add(config.toString());
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("ROTAKEY_DATA_DIR", dataDir.toString());
            builder.environment().putAll(env);
            Process p = builder.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("rotakey " + String.join(" ", args) + " did not finish:\n" + output);
            }
            return new Answer(p.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run rotakey " + String.join(" ", args), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** SIGKILL (Process.destroyForcibly on Linux), then waits for the process to be gone. */
    public void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the daemon outlived SIGKILL for 30 s");
            }
            if (dumping) {
                // Nothing was dumped, or a part of it: the next start dumps again.
                Files.deleteIfExists(SHARED.dump());
                dumping = false;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A graceful stop (SIGTERM: Dropwizard's shutdown hooks run, the database is closed), then waits. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the daemon did not stop within 60 s of SIGTERM");
            }
            if (dumping) {
                SHARED.dumped();
                dumping = false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** Waits until every {@code "<point> <credential>"} line in {@code expected} has been announced. */
    public void awaitFailPoints(java.util.Collection<String> expected, Duration timeout) {
        await("fail points " + expected).atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("the daemon exited with " + process.exitValue() + ":\n" + tail(60));
            }
            return announced().containsAll(expected);
        });
    }

    /** The fail points reached since the last start, as {@code "<point> <credential>"}. */
    public List<String> announced() throws IOException {
        return Files.exists(announceFile()) ? Files.readAllLines(announceFile()) : List.of();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The operator token the first start generated (of this node, or of the node {@link #usingTokenOf}). */
    public String token() {
        try {
            return Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every start's console output so far. */
    public String log() {
        try {
            return Files.exists(logFile()) ? Files.readString(logFile(), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Answer get(String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).GET());
    }

    public Answer post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** The URL of {@code path} on the API port, for requests made without this daemon's token. */
    public String apiUrl(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    /** A GET on the admin port, e.g. {@code /metrics/prometheus}. */
    public Answer adminGet(String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).GET());
    }

    /** A Dropwizard task on the admin port, e.g. {@code /tasks/rotate?credential=x}. */
    public Answer task(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + pathAndQuery))
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    private Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.header("Authorization", "Bearer " + token())
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("request failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private boolean answers() {
        try {
            return get("/api/v1/agents").status() == 200;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    private String tail(int lines) {
        List<String> all = Arrays.asList(log().split("\n"));
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private Path announceFile() {
        return dataDir.resolve("failpoints.announced");
    }

    private Path logFile() {
        return dataDir.resolve("daemon.log");
    }

    private static final SharedClasses SHARED = new SharedClasses();

    /**
     * Class data sharing (CDS) for the daemon JVMs of one test JVM: the first start that ends gracefully dumps the
     * classes it loaded ({@code -XX:ArchiveClassesAtExit}), and every later start maps them instead of parsing and
     * verifying them again, which took a start's CPU time from 5.5–6.5 s to 3.4–4 s on the 2-core test machine. CDS
     * takes classes from JARs only, so the daemon's own classes are put into one, once per test JVM, in a directory
     * of that JVM's own (removed when it exits).
     */
    private static final class SharedClasses {
        private Path dir;
        private String classPath;
        private boolean ready;

        synchronized boolean ready() {
            return ready;
        }

        synchronized Path archive() {
            return directory().resolve("daemon.jsa");
        }

        /** Where a start dumps; renamed to {@link #archive()} only once that process has exited normally. */
        synchronized Path dump() {
            return directory().resolve("daemon.jsa.part");
        }

        synchronized void dumped() {
            try {
                if (Files.exists(dump())) {
                    Files.move(dump(), archive(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    ready = true;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /**
         * The test class path without test classes (their logback-test.xml would replace the daemon's logging), with
         * each directory of classes replaced by a JAR of it.
         */
        synchronized String classPath() {
            if (classPath == null) {
                List<String> entries = new ArrayList<>();
                for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                    if (e.endsWith("test-classes") || e.endsWith("test-classes/")) {
                        continue;
                    }
                    Path p = Path.of(e);
                    entries.add(Files.isDirectory(p) ? jar(p, directory().resolve("classes-" + entries.size() + ".jar")) : e);
                }
                classPath = String.join(java.io.File.pathSeparator, entries);
            }
            return classPath;
        }

        private Path directory() {
            if (dir == null) {
                try {
                    Path root = Path.of("target", "daemon-cds").toAbsolutePath();
                    Files.createDirectories(root);
                    dir = Files.createTempDirectory(root, "jvm-" + ProcessHandle.current().pid() + "-");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                Path created = dir;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(created), "daemon-cds-cleanup"));
            }
            return dir;
        }

        private static String jar(Path classes, Path jar) {
            try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                 var files = Files.walk(classes)) {
                // Directory entries too: a class loader finds a package's resources in a JAR only through them.
                for (Path f : files.filter(f -> !f.equals(classes)).sorted().toList()) {
                    String name = classes.relativize(f).toString().replace('\\', '/');
                    boolean directory = Files.isDirectory(f);
                    out.putNextEntry(new java.util.jar.JarEntry(directory ? name + "/" : name));
                    if (!directory) {
                        Files.copy(f, out);
                    }
                    out.closeEntry();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot put " + classes + " into a JAR", e);
            }
            return jar.toString();
        }

        private static void deleteTree(Path root) {
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // a left-over directory under target/ is harmless
            }
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills the daemon if it still runs. */
    @Override
    public void close() {
        if (alive()) {
            kill();
        }
    }
}
