package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.testing.OpenSsl;
import dev.rotakey.testing.VaultTestServer;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped {@code config/rotakey-vault.yml} through the real daemon against the in-process Vault:
 * API keys digested with a transit HMAC key, certificates and CRLs signed by a CA whose key is a
 * transit key, credentials also delivered to KV v2, and a sealed Vault that fails a rotation
 * without losing the current credential.
 *
 * <p>One Vault and one daemon serve the class; each test has credentials of its own, and the sealed-Vault
 * test runs last (an offline backend is tried again only seconds after it recovers).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VaultEndToEndIT {
    @TempDir
    static Path dir;

    static VaultTestServer vault;
    static RunningDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        vault = VaultTestServer.start();
        vault.enableAppRole("rotakey", "s3cret-id", Duration.ofHours(1), true, Duration.ofHours(24));
        Path secretId = dir.resolve("vault-secret-id");
        Files.writeString(secretId, "s3cret-id\n");
        daemon = new RunningDaemon("config/rotakey-vault.yml", dir.resolve("data"),
                "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000", null, RunningDaemon.uniqueName("vault"),
                ConfigOverride.config("keyBackends.vault.address", vault.address()),
                ConfigOverride.config("keyBackends.vault.auth.secretId.file", secretId.toString()),
                ConfigOverride.config("targets.vault-kv.address", vault.address()),
                ConfigOverride.config("targets.vault-kv.auth.secretId.file", secretId.toString()));
        RunningDaemon.Answer a = daemon.post("/api/v1/agents", "{\"id\":\"billing-agent\",\"owner\":\"team@example.com\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        if (vault != null) {
            vault.close();
        }
    }

    private String state(String id, int version) {
        for (JsonNode v : daemon.get("/api/v1/credentials/" + id).json().get("versions")) {
            if (v.get("version").asInt() == version) {
                return v.get("state").asText();
            }
        }
        return "absent";
    }

    private JsonNode verify(String key) {
        return daemon.post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}").json();
    }

    @Test
    void apiKeysRotateWithTheirDigestKeyInTransitAndReachKv() {
        int hmacBefore = vault.requests("transit/hmac/rotakey-hmac");
        int randomBefore = vault.requests("transit/random");
        RunningDaemon.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"billing-api\",\"agent\":\"billing-agent\","
                + "\"type\":\"api-key\",\"backend\":\"vault\",\"gracePeriod\":\"PT2S\",\"targets\":["
                + "{\"target\":\"local-files\",\"path\":\"billing-agent/api-key\"},"
                + "{\"target\":\"vault-kv\",\"path\":\"billing-agent/api-key\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String key1 = daemon.delivered("billing-agent/api-key");
        assertThat(verify(key1).get("valid").asBoolean()).isTrue();
        assertThat(vault.requests("transit/hmac/rotakey-hmac")).isGreaterThan(hmacBefore);
        assertThat(vault.requests("transit/random")).isGreaterThan(randomBefore);
        assertThat(vault.requests("secret/data/rotakey/billing-agent/api-key")).isPositive();

        assertThat(daemon.task("/tasks/rotate?credential=billing-api").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> state("billing-api", 2).equals("CURRENT"));
        String key2 = daemon.delivered("billing-agent/api-key");
        assertThat(key2).isNotEqualTo(key1);
        await().atMost(Duration.ofSeconds(20)).until(() -> state("billing-api", 1).equals("REVOKED"));
        assertThat(verify(key1).get("valid").asBoolean()).isFalse();
        assertThat(verify(key2).get("valid").asBoolean()).isTrue();
        assertThat(daemon.logLines()).noneMatch(l -> l.contains(key1) || l.contains(key2) || l.contains("s3cret-id"));
    }

    @Test
    void certificatesAndCrlsSignedByTransitVerifyWithOpenssl() throws Exception {
        int signBefore = vault.requests("transit/sign/rotakey-ca-agents-ca");
        RunningDaemon.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"billing-mtls\",\"agent\":\"billing-agent\","
                + "\"type\":\"certificate\",\"backend\":\"vault\",\"ca\":\"agents-ca\",\"validity\":\"PT1H\","
                + "\"gracePeriod\":\"PT2S\",\"targets\":[{\"target\":\"local-files\",\"path\":\"billing-agent/mtls\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        Path files = daemon.dataDir().resolve("delivered/billing-agent/mtls");
        assertThat(OpenSsl.run(files, "verify", "-CAfile", "chain.pem", "cert.pem").ok().output()).contains("OK");
        assertThat(vault.requests("transit/sign/rotakey-ca-agents-ca")).isGreaterThan(signBefore);
        String serial = created.json().get("versions").get(0).get("serial").asText();

        assertThat(daemon.task("/tasks/rotate?credential=billing-mtls").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> state("billing-mtls", 1).equals("REVOKED"));
        Path crl = dir.resolve("agents-ca.crl");
        Files.write(crl, HttpClient.newHttpClient().send(HttpRequest.newBuilder(daemon.app("/api/v1/cas/agents-ca/crl"))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray()).body());
        String listing = OpenSsl.run(dir, "crl", "-inform", "DER", "-in", crl.toString(), "-noout", "-text").ok().output();
        assertThat(listing.toUpperCase(Locale.ROOT).replace(":", "")).contains(serial.toUpperCase(Locale.ROOT));
        assertThat(OpenSsl.run(dir, "crl", "-inform", "DER", "-in", crl.toString(), "-noout", "-CAfile",
                files.resolve("chain.pem").toString()).ok().output()).contains("verify OK");
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void aSealedVaultFailsTheRotationAndTheBackendButNotTheCurrentKey() {
        RunningDaemon.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"sealed-api\",\"agent\":\"billing-agent\","
                + "\"type\":\"api-key\",\"backend\":\"vault\",\"targets\":[{\"target\":\"local-files\",\"path\":\"billing-agent/key\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String key1 = daemon.delivered("billing-agent/key");

        vault.seal();
        try {
            sealedRotationFails(key1);
        } finally {
            vault.unseal();
        }
        assertThat(verify(key1).get("valid").asBoolean()).isTrue();
    }

    private void sealedRotationFails(String key1) {
        RunningDaemon.Answer rotate = daemon.task("/tasks/rotate?credential=sealed-api");
        assertThat(rotate.status()).as(rotate.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).until(() ->
                daemon.get("/api/v1/credentials/sealed-api").json().get("lastRotation").get("state").asText().equals("FAILED"));
        JsonNode rotation = daemon.get("/api/v1/credentials/sealed-api").json().get("lastRotation");
        assertThat(rotation.get("lastError").asText()).contains("sealed");
        JsonNode steps = daemon.get("/api/v1/rotations/" + rotation.get("id").asText()).json().get("steps");
        assertThat(steps.findValuesAsText("outcome")).contains("RETRY", "FAILED");
        RunningDaemon.Answer health = daemon.adminGet("/healthcheck");
        assertThat(health.status()).isEqualTo(500);
        assertThat(health.json().get("key-backend-vault").get("healthy").asBoolean()).isFalse();
        assertThat(state("sealed-api", 1)).isEqualTo("CURRENT");
        assertThat(daemon.delivered("billing-agent/key")).isEqualTo(key1);
    }
}
