package dev.rotakey.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.RotakeyApplication;
import dev.rotakey.RotakeyComponents;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.mariadb.MariaDbProbe;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.core.Application;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;

import java.io.IOException;
import java.lang.reflect.Field;
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

/**
 * The real daemon, in-process, started from the shipped {@code config/rotakey.yml} with every target type and
 * both backend types configured behind the fault model's proxies, driven over real HTTP; it survives
 * {@link #restart()} with its H2 database, data directory and SoftHSM2 token.
 *
 * <p>Kill seam: {@link #restart()} is a graceful stop and start. A SIGKILL at a random point needs the daemon in
 * a JVM of its own ({@code dev.rotakey.testing.DaemonProcess}, being written in another branch); when it lands,
 * implement {@link #kill()} with it and let {@link Op.Restart} with {@code kill = true} call that.
 */
final class FaultDaemon implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final List<ConfigOverride> overrides;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final FailingTarget.Switch filesFault;
    private final FailingKeyBackend.Switch hsmFault;
    private DropwizardTestSupport<RotakeyConfiguration> support;
    private String token;

    /** The answer to one request. */
    record Answer(int status, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    /** Ports of the proxies in front of each real peer, and the webhook secret file and Vault secret-id file. */
    record Peers(int hookPort, int postgresPort, int redisPort, int mariadbPort, int vaultKvPort, int vaultTransitPort,
                 Path hookSecret, Path vaultSecretId) {
    }

    FaultDaemon(Path dir, Peers peers, FailingTarget.Switch filesFault, FailingKeyBackend.Switch hsmFault) {
        SoftHsmTokens.ensure();
        this.dir = dir;
        this.filesFault = filesFault;
        this.hsmFault = hsmFault;
        Map<String, String> c = new LinkedHashMap<>();
        c.put("dataDir", dir.resolve("data").toString());
        c.put("database.url", "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000");
        c.put("server.applicationConnectors[0].port", "0");
        c.put("server.adminConnectors[0].port", "0");
        c.put("targets.local-files.directory", dir.resolve("data/delivered").toString());
        c.put("auth.adminTokenFile", dir.resolve("data/admin-token").toString());
        // Fast retries so that a sequence with faults settles in well under a second per rotation.
        c.put("rotation.retry.initialBackoff", "PT0.02S");
        c.put("rotation.retry.maxBackoff", "PT0.1S");
        c.put("rotation.retry.maxAttempts", "3");
        c.put("rotation.retry.jitter", "0.0");
        c.put("rotation.retryFailedAfter", "PT1H");
        c.put("scheduler.instanceName", "faults-" + Long.toHexString(System.nanoTime()));
        c.put("scheduler.misfireThreshold", "PT0.5S");
        c.put("logging.appenders[0].threshold", "ERROR");
        // Thousands of requests per minute: the request log goes to a file, not the test output.
        c.put("server.requestLog.appenders[0].type", "file");
        c.put("server.requestLog.appenders[0].currentLogFilename", dir.resolve("requests.log").toString());
        c.put("server.requestLog.appenders[0].archive", "false");
        c.put("keyBackends.hsm.library", SoftHsmTokens.library());
        c.put("keyBackends.hsm.tokenLabel", SoftHsmTokens.APP);
        c.put("keyBackends.hsm.pin.file", SoftHsmTokens.pinFile().toString());
        c.put("keyBackends.transit.type", "vault-transit");
        c.put("keyBackends.transit.address", "http://127.0.0.1:" + peers.vaultTransitPort());
        c.put("keyBackends.transit.auth.method", "approle");
        c.put("keyBackends.transit.auth.roleId", "rotakey");
        c.put("keyBackends.transit.auth.secretId.file", peers.vaultSecretId().toString());
        c.put("keyBackends.transit.readTimeout", "PT1S");
        c.put("keyBackends.transit.connectTimeout", "PT1S");
        c.put("targets.hook.type", "webhook");
        c.put("targets.hook.url", "http://127.0.0.1:" + peers.hookPort() + "/events");
        c.put("targets.hook.verifyUrl", "http://127.0.0.1:" + peers.hookPort() + "/verify");
        c.put("targets.hook.allowHttp", "true");
        c.put("targets.hook.secret.file", peers.hookSecret().toString());
        c.put("targets.hook.timeout", "1s");
        c.put("targets.pg.type", "postgres-role");
        c.put("targets.pg.url", "jdbc:postgresql://127.0.0.1:" + peers.postgresPort() + "/test");
        c.put("targets.pg.user", "postgres");
        c.put("targets.pg.connectTimeout", "1s");
        c.put("targets.pg.commandTimeout", "1s");
        c.put("targets.redis.type", "redis-acl");
        c.put("targets.redis.host", "127.0.0.1");
        c.put("targets.redis.port", Integer.toString(peers.redisPort()));
        c.put("targets.redis.connectTimeout", "1s");
        c.put("targets.redis.commandTimeout", "1s");
        c.put("targets.redis.saveAclFile", "never");
        c.put("targets.maria.type", "mariadb-user");
        c.put("targets.maria.url", "jdbc:mariadb://127.0.0.1:" + peers.mariadbPort() + "/test");
        c.put("targets.maria.user", MariaDbProbe.ADMIN);
        c.put("targets.maria.connectTimeout", "1s");
        c.put("targets.maria.commandTimeout", "1s");
        c.put("targets.kv.type", "vault-kv");
        c.put("targets.kv.address", "http://127.0.0.1:" + peers.vaultKvPort());
        c.put("targets.kv.auth.method", "approle");
        c.put("targets.kv.auth.roleId", "rotakey");
        c.put("targets.kv.auth.secretId.file", peers.vaultSecretId().toString());
        c.put("targets.kv.readTimeout", "PT1S");
        c.put("targets.kv.connectTimeout", "PT1S");
        c.put("targets.kv.pathPrefix", "faults");
        this.overrides = new ArrayList<>();
        c.forEach((k, v) -> overrides.add(ConfigOverride.config(k, v)));
        start();
    }

    void start() {
        support = new DropwizardTestSupport<>(RotakeyApplication.class, Path.of("config/rotakey.yml").toAbsolutePath().toString(),
                overrides.toArray(ConfigOverride[]::new)) {
            @Override
            public Application<RotakeyConfiguration> newApplication() {
                return new RotakeyApplication();
            }
        };
        try {
            support.before();
        } catch (Exception e) {
            throw new IllegalStateException("daemon did not start: " + e.getMessage(), e);
        }
        try {
            token = Files.readString(dir.resolve("data/admin-token"), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new IllegalStateException("no admin token", e);
        }
        wrapFaultInjectors();
    }

    void stop() {
        if (support != null) {
            support.after();
            support = null;
        }
    }

    void restart() {
        try (var t = Timings.start("daemon stop")) {
            stop();
        }
        try (var t = Timings.start("daemon start")) {
            start();
        }
    }

    /** The SIGKILL seam: not possible in-process; see the class comment. */
    void kill() {
        throw new UnsupportedOperationException("SIGKILL needs dev.rotakey.testing.DaemonProcess (another branch)");
    }

    /**
     * Puts the fault-injecting decorators around the {@code local-files} target and the {@code hsm} backend of
     * the running daemon. The services look both up by name for every operation, so replacing the registry
     * entries reaches every caller; the registries have no setter because production never needs one.
     */
    @SuppressWarnings("unchecked")
    private void wrapFaultInjectors() {
        RotakeyComponents rt = runtime();
        try {
            Field t = rt.targets().getClass().getDeclaredField("byName");
            t.setAccessible(true);
            Map<String, Target> targets = (Map<String, Target>) t.get(rt.targets());
            targets.put("local-files", new FailingTarget(targets.get("local-files"), filesFault));
            Field b = rt.backends().getClass().getDeclaredField("byName");
            b.setAccessible(true);
            Map<String, KeyBackend> backends = (Map<String, KeyBackend>) b.get(rt.backends());
            backends.put("hsm", new FailingKeyBackend(backends.get("hsm"), hsmFault));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot wrap the local-files target and hsm backend", e);
        }
    }

    RotakeyComponents runtime() {
        return ((RotakeyApplication) support.getApplication()).components();
    }

    Path delivered() {
        return dir.resolve("data/delivered");
    }

    Answer get(String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + support.getLocalPort() + path)).GET());
    }

    Answer post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + support.getLocalPort() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Answer task(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + support.getAdminPort() + pathAndQuery))
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    Answer adminGet(String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + support.getAdminPort() + path)).GET());
    }

    private Answer send(HttpRequest.Builder request) {
        request.header("Authorization", "Bearer " + token);
        try (var t = Timings.start("daemon http")) {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException("request failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (support != null) {
            RotakeyComponents rt = runtime();
            // Every fresh database creates a CA key in the shared token: leave the token as it was found.
            for (KeyBackend backend : rt.backends().all()) {
                if (backend.status().healthy()) {
                    rt.store().read(d -> d.certificateAuthorities().generationsIn(backend.name()))
                            .forEach(r -> backend.destroySigningKey(r.keyAlias()));
                }
            }
        }
        stop();
    }
}
