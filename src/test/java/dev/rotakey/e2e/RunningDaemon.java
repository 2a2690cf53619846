package dev.rotakey.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.RotakeyApplication;
import dev.rotakey.RotakeyComponents;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.core.Application;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The real daemon, started from the shipped {@code config/rotakey.yml} with test overrides (a data
 * directory of its own, ephemeral ports, the {@code rotakey-app} SoftHSM2 token, fast retries),
 * driven over real HTTP on loopback, with every log line captured for secret scans.
 */
public final class RunningDaemon implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final DropwizardTestSupport<RotakeyConfiguration> support;
    private final HttpClient http;
    /** The API port's scheme: {@code https} when the daemon serves it over TLS. */
    private final String appScheme;
    private final List<String> logLines = new ArrayList<>();
    private final Path dataDir;
    private final String token;
    private CapturingAppender appender;

    /** The answer to one request: status and body. */
    public record Answer(int status, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    public RunningDaemon(Path dataDir, String databaseUrl, String tokenLabel, String schedulerName, ConfigOverride... extra) {
        this("config/rotakey.yml", dataDir, databaseUrl, tokenLabel, schedulerName, extra);
    }

    /**
     * A daemon on another shipped config file than the default one (which must define {@code local-files});
     * with a {@code tokenLabel}, its {@code hsm} backend is pointed at that SoftHSM2 token, without one
     * the config's backends are left as they are (to be overridden by {@code extra}).
     */
    public RunningDaemon(String configFile, Path dataDir, String databaseUrl, String tokenLabel, String schedulerName,
                  ConfigOverride... extra) {
        this(configFile, dataDir, databaseUrl, tokenLabel, schedulerName, Map.of(), extra);
    }

    /**
     * As above, with some of the test defaults set here replaced by {@code replacedDefaults} (config key to
     * value). A default cannot be replaced through {@code extra}: Dropwizard keeps the overrides in a set, so
     * of two values for one key either may win.
     */
    RunningDaemon(String configFile, Path dataDir, String databaseUrl, String tokenLabel, String schedulerName,
                  Map<String, String> replacedDefaults, ConfigOverride... extra) {
        this(configFile, dataDir, databaseUrl, tokenLabel, schedulerName, null, replacedDefaults, extra);
    }

    /**
     * As above, with the API port served over TLS (the config's first application connector must be https or
     * https-mtls): this daemon's own client trusts the server through {@code appTls}, without a client certificate.
     */
    public RunningDaemon(String configFile, Path dataDir, String databaseUrl, String tokenLabel, String schedulerName,
                         javax.net.ssl.SSLContext appTls, Map<String, String> replacedDefaults, ConfigOverride... extra) {
        this(configFile, dataDir, databaseUrl, tokenLabel, schedulerName, appTls, replacedDefaults, null, extra);
    }

    /** The default daemon on a clock the test moves ({@code TestClock}): deadlines and grace periods pass at once. */
    public RunningDaemon(java.time.Clock clock, Path dataDir, String databaseUrl, String tokenLabel, String schedulerName,
                         ConfigOverride... extra) {
        this("config/rotakey.yml", dataDir, databaseUrl, tokenLabel, schedulerName, null, Map.of(), clock, extra);
    }

    private RunningDaemon(String configFile, Path dataDir, String databaseUrl, String tokenLabel, String schedulerName,
                          javax.net.ssl.SSLContext appTls, Map<String, String> replacedDefaults, java.time.Clock clock,
                          ConfigOverride... extra) {
        SoftHsmTokens.ensure();
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        this.http = (appTls == null ? client : client.sslContext(appTls)).build();
        this.appScheme = appTls == null ? "http" : "https";
        this.dataDir = dataDir;
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("dataDir", dataDir.toString());
        defaults.put("database.url", databaseUrl);
        defaults.put("server.applicationConnectors[0].port", "0");
        defaults.put("server.adminConnectors[0].port", "0");
        defaults.put("targets.local-files.directory", dataDir.resolve("delivered").toString());
        defaults.put("auth.adminTokenFile", dataDir.resolve("admin-token").toString());
        defaults.put("rotation.retry.initialBackoff", "PT0.05S");
        defaults.put("rotation.retry.maxBackoff", "PT0.2S");
        defaults.put("rotation.retry.maxAttempts", "3");
        defaults.put("scheduler.instanceName", schedulerName);
        defaults.put("scheduler.misfireThreshold", "PT0.5S");
        // The console shows warnings only; the capture below still sees every INFO line.
        defaults.put("logging.appenders[0].threshold", "WARN");
        defaults.putAll(replacedDefaults);
        List<ConfigOverride> overrides = new ArrayList<>();
        defaults.forEach((key, value) -> overrides.add(ConfigOverride.config(key, value)));
        if (tokenLabel != null) {
            overrides.add(ConfigOverride.config("keyBackends.hsm.library", SoftHsmTokens.library()));
            overrides.add(ConfigOverride.config("keyBackends.hsm.tokenLabel", tokenLabel));
            overrides.add(ConfigOverride.config("keyBackends.hsm.pin.file", SoftHsmTokens.pinFile().toString()));
        }
        overrides.addAll(List.of(extra));
        if (databaseUrl.startsWith("jdbc:postgresql:")) {
            overrides.add(ConfigOverride.config("database.driverClass", "org.postgresql.Driver"));
            overrides.add(ConfigOverride.config("database.user", "postgres"));
        }
        this.support = new DropwizardTestSupport<>(RotakeyApplication.class, Path.of(configFile).toAbsolutePath().toString(),
                overrides.toArray(ConfigOverride[]::new)) {
            @Override
            public Application<RotakeyConfiguration> newApplication() {
                return clock == null ? new RotakeyApplication() : new RotakeyApplication(clock);
            }
        };
        try {
            support.before();
        } catch (Exception e) {
            throw new IllegalStateException("daemon did not start: " + e.getMessage(), e);
        }
        attachLogCapture();
        try {
            this.token = Files.readString(dataDir.resolve("admin-token"), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new IllegalStateException("no admin token was created", e);
        }
    }

    public static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String token() {
        return token;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Dropwizard's environment of the running daemon: its Jersey resources, its admin servlets. */
    public io.dropwizard.core.setup.Environment environment() {
        return support.getEnvironment();
    }

    public RotakeyComponents runtime() {
        return ((RotakeyApplication) support.getApplication()).components();
    }

    public Answer get(String path) {
        return send(HttpRequest.newBuilder(app(path)).GET(), token);
    }

    public Answer post(String path, String json) {
        return send(HttpRequest.newBuilder(app(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)), token);
    }

    public Answer task(String pathAndQuery) {
        return send(HttpRequest.newBuilder(admin(pathAndQuery)).POST(HttpRequest.BodyPublishers.noBody()), token);
    }

    /**
     * Follows the batch a task answered ({@code batch.href}) until it has ended, and answers its last view: the
     * rotate-an-agent, decommission and revoke tasks answer before their batch's work is done.
     */
    public JsonNode awaitBatch(Answer task) {
        if (task.status() != 200) {
            throw new AssertionError("the task was refused (" + task.status() + "): " + task.body());
        }
        String href = task.json().path("batch").path("href").asText();
        if (href.isEmpty()) {
            throw new AssertionError("the task answered no batch: " + task.body());
        }
        java.util.concurrent.atomic.AtomicReference<JsonNode> last = new java.util.concurrent.atomic.AtomicReference<>();
        org.awaitility.Awaitility.await("batch " + href).atMost(java.time.Duration.ofSeconds(60))
                .pollInterval(java.time.Duration.ofMillis(50)).until(() -> {
                    last.set(get(href).json());
                    return !last.get().path("state").asText().equals("RUNNING");
                });
        return last.get();
    }

    public Answer adminGet(String path) {
        return send(HttpRequest.newBuilder(admin(path)).GET(), token);
    }

    public Answer send(HttpRequest.Builder request, String bearer) {
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException("request failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public URI app(String path) {
        return URI.create(appScheme + "://127.0.0.1:" + support.getLocalPort() + path);
    }

    public URI admin(String path) {
        return URI.create("http://127.0.0.1:" + support.getAdminPort() + path);
    }

    /** What the delivered file of a binding holds now. */
    public String delivered(String relativePath) {
        try {
            return Files.readString(dataDir.resolve("delivered").resolve(relativePath), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("no delivered file " + relativePath, e);
        }
    }

    /**
     * Destroys the keys of this daemon's certificate authorities in its token, before the last
     * {@link #close()} of a test: every fresh database creates a new CA key in the shared token.
     */
    public void destroyCertificateAuthorityKeys() {
        RotakeyComponents rt = runtime();
        for (KeyBackend backend : rt.backends().all()) {
            if (!backend.status().healthy()) {
                continue;
            }
            rt.store().read(d -> d.certificateAuthorities().generationsIn(backend.name()))
                    .forEach(r -> backend.destroySigningKey(r.keyAlias()));
        }
    }

    public synchronized List<String> logLines() {
        return List.copyOf(logLines);
    }

    private void attachLogCapture() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        appender = new CapturingAppender();
        appender.setContext(ctx);
        appender.start();
        root.addAppender(appender);
    }

    @Override
    public void close() {
        support.after();
        if (appender != null) {
            LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
            ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(appender);
        }
    }

    private final class CapturingAppender extends AppenderBase<ILoggingEvent> {
        @Override
        protected void append(ILoggingEvent e) {
            String line = e.getFormattedMessage()
                    + (e.getThrowableProxy() == null ? "" : "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy()));
            synchronized (RunningDaemon.this) {
                logLines.add(line);
            }
        }
    }
}
