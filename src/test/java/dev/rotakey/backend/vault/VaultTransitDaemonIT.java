package dev.rotakey.backend.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.RotakeyApplication;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.testing.OpenSsl;
import dev.rotakey.testing.VaultTestServer;
import io.dropwizard.core.Application;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon from the shipped configuration with its key backend swapped for {@code type:
 * vault-transit} (AppRole) on the {@link VaultTestServer}: healthy, its CA key made in transit, API
 * keys issued and verified, and a certificate whose leaf key stays in Vault checked by openssl.
 */
class VaultTransitDaemonIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private VaultTestServer vault;
    private DropwizardTestSupport<RotakeyConfiguration> daemon;
    private String adminToken;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void startDaemon() throws Exception {
        vault = VaultTestServer.start();
        vault.enableAppRole(VaultFixtures.ROLE_ID, VaultFixtures.SECRET_ID, Duration.ofHours(1), true, Duration.ofHours(24));
        Path secretId = VaultFixtures.write(tmp.resolve("vault-secret-id"), VaultFixtures.SECRET_ID + "\n");
        String shipped = Files.readString(Path.of("config/rotakey.yml"));
        int from = shipped.indexOf("keyBackends:\n");
        int to = shipped.indexOf("\n\n", from);
        assertThat(from).isNotNegative();
        String config = shipped.substring(0, from) + """
                keyBackends:
                  vault:
                    type: vault-transit
                    address: %s
                    auth:
                      method: approle
                      roleId: %s
                      secretId:
                        file: %s
                """.formatted(vault.address(), VaultFixtures.ROLE_ID, secretId)
                + shipped.substring(to + 1).replace("backend: hsm", "backend: vault");
        Path file = Files.writeString(tmp.resolve("rotakey-vault.yml"), config);
        Path data = Files.createDirectories(tmp.resolve("data"));
        daemon = new DropwizardTestSupport<>(RotakeyApplication.class, file.toString(),
                ConfigOverride.config("dataDir", data.toString()),
                ConfigOverride.config("database.url", "jdbc:h2:file:" + data.resolve("rotakey") + ";TRACE_LEVEL_FILE=0"),
                ConfigOverride.config("server.applicationConnectors[0].port", "0"),
                ConfigOverride.config("server.adminConnectors[0].port", "0"),
                ConfigOverride.config("targets.local-files.directory", data.resolve("delivered").toString()),
                ConfigOverride.config("auth.adminTokenFile", data.resolve("admin-token").toString()),
                ConfigOverride.config("logging.appenders[0].threshold", "WARN")) {
            @Override
            public Application<RotakeyConfiguration> newApplication() {
                return new RotakeyApplication();
            }
        };
        daemon.before();
        adminToken = Files.readString(data.resolve("admin-token"), StandardCharsets.UTF_8).trim();
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.after();
        }
        vault.stop();
    }

    private HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
        return http.send(r.header("Authorization", "Bearer " + adminToken).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode post(String path, String json, int expected) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.getLocalPort() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expected);
        return JSON.readTree(r.body());
    }

    @Test
    void theDaemonRunsOnVaultTransit() throws Exception {
        HttpResponse<String> health = send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + daemon.getAdminPort() + "/healthcheck")).GET());
        JsonNode checks = JSON.readTree(health.body());
        JsonNode backendCheck = null;
        for (var it = checks.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().contains("vault")) {
                backendCheck = e.getValue();
            }
        }
        assertThat(backendCheck).as(health.body()).isNotNull();
        assertThat(backendCheck.get("healthy").asBoolean()).as(health.body()).isTrue();
        // The CA key was made in transit at start-up; the HMAC key too.
        assertThat(vault.requestLog()).anySatisfy(l -> assertThat(l).startsWith("POST transit/keys/rotakey-ca-agents-ca-1-"));
        assertThat(vault.requestLog()).contains("POST transit/keys/rotakey-hmac");

        post("/api/v1/agents", "{\"id\":\"billing-agent\",\"owner\":\"team@example.com\"}", 201);
        post("/api/v1/credentials", "{\"id\":\"billing-api\",\"agent\":\"billing-agent\",\"type\":\"api-key\","
                + "\"backend\":\"vault\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"billing-agent/billing-api\"}]}", 201);
        Path delivered = tmp.resolve("data/delivered/billing-agent/billing-api");
        String key = Files.readString(delivered).trim();
        assertThat(key).as("the delivered API key").isNotBlank().doesNotContain("\n");
        assertThat(post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}", 200).toString()).contains("billing-api");
        assertThat(vault.requests("transit/random")).isPositive();

        post("/api/v1/credentials", "{\"id\":\"billing-mtls\",\"agent\":\"billing-agent\",\"type\":\"certificate\","
                + "\"ca\":\"agents-ca\",\"backend\":\"vault\",\"keyCustody\":\"hsm\",\"validity\":\"PT1H\",\"gracePeriod\":\"PT2S\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"billing-agent/billing-mtls\"}]}", 201);
        Path files = tmp.resolve("data/delivered/billing-agent/billing-mtls");
        assertThat(files.resolve("key.pem")).doesNotExist();
        assertThat(Files.readString(files.resolve("key.uri")).trim())
                .startsWith("vault:" + vault.address() + "/v1/transit/keys/rotakey-leaf-billing-mtls-1-");
        assertThat(OpenSsl.run(files, "verify", "-CAfile", "chain.pem", "cert.pem").ok().output()).contains("OK");
    }
}
