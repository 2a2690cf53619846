package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.crash.CrashToken;
import dev.rotakey.testing.DaemonProcess;
import dev.rotakey.testing.NginxProcess;
import dev.rotakey.testing.OpenSsl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real consumer reloading on rotation: nginx serves TLS with a certificate Rotakey delivers as a combined PEM, and a
 * signal hook (HUP to the pid in nginx's pid file) after each delivery makes it reload. {@code openssl s_client} sees
 * the old serial until the rotation and the new one after it. An exec hook after promotion writes what it was told; a
 * hook that fails during delivery fails the rotation and leaves the current version in place; one that fails after
 * promotion raises RotakeyReloadHookFailed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NginxReloadIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private Path base;
    private Path tls;
    private DaemonProcess daemon;
    private NginxProcess nginx;

    @BeforeAll
    void start() throws Exception {
        base = Path.of("target", "nginx-e2e", run).toAbsolutePath();
        Path delivered = Files.createDirectories(base.resolve("delivered"));
        tls = Files.createDirectories(delivered.resolve("web/tls"));
        // nginx needs a certificate to start with: a placeholder, which the first delivery replaces.
        OpenSsl.run(tls, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=placeholder", "-days", "1", "-keyout", "key.tmp", "-out", "cert.tmp").ok();
        Files.writeString(tls.resolve("combined.pem"), Files.readString(tls.resolve("cert.tmp")) + Files.readString(tls.resolve("key.tmp")));
        Files.delete(tls.resolve("cert.tmp"));
        Files.delete(tls.resolve("key.tmp"));
        nginx = new NginxProcess(base.resolve("nginx"), tls.resolve("combined.pem"), tls.resolve("combined.pem"));
        nginx.start();

        String config = Files.readString(Path.of("config/rotakey.yml")).replace(
                "    directory: ${ROTAKEY_DATA_DIR:-./data}/delivered\n", String.join("\n",
                        "    directory: " + delivered,
                        "    hooks:",
                        "      nginx-reload:",
                        "        type: signal",
                        "        pidFile: " + nginx.pidFile(),
                        "        signal: HUP",
                        "      promoted-log:",
                        "        type: exec",
                        "        command: [/bin/sh, -c, 'echo \"$ROTAKEY_CREDENTIAL $ROTAKEY_VERSION $ROTAKEY_STAGE $ROTAKEY_PATH\" >> "
                                + base.resolve("promoted.log") + "']",
                        "        timeout: 10s",
                        "      broken:",
                        "        type: exec",
                        "        command: [/bin/false]",
                        ""));
        assertThat(config).contains("nginx-reload");
        Path configFile = Files.writeString(base.resolve("rotakey.yml"), config);
        Path dataDir = base.resolve("data");
        CrashToken token = CrashToken.create(base.resolve("softhsm"), dataDir);
        daemon = new DaemonProcess(configFile, dataDir, Map.of("alerting.evaluationInterval", "PT1S",
                "rotation.retry.maxAttempts", "2", "rotation.retry.initialBackoff", "PT0.2S"),
                Map.of("SOFTHSM2_CONF", token.conf().toString()));
        daemon.start("");
        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"web-agent\",\"owner\":\"web-team@example.com\"}").status())
                .isEqualTo(201);
    }

    @AfterAll
    void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (nginx != null) {
            nginx.close();
        }
    }

    private JsonNode credential(String id) throws IOException {
        return JSON.readTree(daemon.get("/api/v1/credentials/" + id).body());
    }

    private JsonNode version(String id, int n) throws IOException {
        for (JsonNode v : credential(id).get("versions")) {
            if (v.get("version").asInt() == n) {
                return v;
            }
        }
        return null;
    }

    private String state(String id, int n) throws IOException {
        JsonNode v = version(id, n);
        return v == null ? "absent" : v.get("state").asText();
    }

    private String create(String id, String binding) throws IOException {
        DaemonProcess.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"web-agent\","
                + "\"type\":\"certificate\",\"ca\":\"agents-ca\",\"validity\":\"PT1H\",\"gracePeriod\":\"PT1S\","
                + "\"dnsNames\":[\"localhost\"],\"targets\":[" + binding + "]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return JSON.readTree(created.body()).get("versions").get(0).get("serial").asText();
    }

    @Test
    @Order(1)
    void nginxServesTheDeliveredCertificateAndReloadsOnRotation() throws Exception {
        assertThat(nginx.serial()).as("the placeholder").isNotNull();
        String first = create("web-tls", "{\"target\":\"local-files\",\"path\":\"web/tls\",\"format\":\"combined\","
                + "\"onDeliver\":\"nginx-reload\",\"onPromote\":\"promoted-log\"}");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(nginx.serial()).isEqualTo(first));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(base.resolve("promoted.log")).exists());
        assertThat(Files.readString(base.resolve("promoted.log")))
                .isEqualTo("web-tls 1 promoted " + tls.toRealPath() + "\n");

        // Until the rotation, the old serial; after it, the new one.
        assertThat(nginx.serial()).isEqualTo(first);
        DaemonProcess.Answer rotated = daemon.task("/tasks/rotate?credential=web-tls");
        assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(state("web-tls", 2)).isEqualTo("CURRENT"));
        String second = version("web-tls", 2).get("serial").asText();
        assertThat(second).isNotEqualTo(first);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(nginx.serial()).isEqualTo(second));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readString(base.resolve("promoted.log")))
                .endsWith("web-tls 2 promoted " + tls.toRealPath() + "\n"));
        // The audit trail says what ran.
        assertThat(daemon.get("/api/v1/audit?subject=credential:web-tls/v2").body()).contains("target.promotion-action");
    }

    @Test
    @Order(2)
    void aHookThatFailsDuringDeliveryFailsTheRotationAndTheCurrentVersionStays() throws Exception {
        String current = nginx.serial();
        Path pid = nginx.pidFile();
        Path moved = pid.resolveSibling("nginx.pid.away");
        Files.move(pid, moved);
        try {
            daemon.task("/tasks/rotate?credential=web-tls");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(state("web-tls", 3)).isEqualTo("FAILED"));
        } finally {
            Files.move(moved, pid);
        }
        // The discard put version 2's files back: nginx, reloaded or not, serves version 2, and its file holds it.
        assertThat(version("web-tls", 2).get("state").asText()).isEqualTo("CURRENT");
        assertThat(nginx.serial()).isEqualTo(current);
        String onDisk = OpenSsl.run(tls, "x509", "-in", "combined.pem", "-noout", "-serial").ok().output().strip();
        assertThat(onDisk.substring(onDisk.indexOf('=') + 1).toLowerCase().replaceFirst("^0+(?=.)", "")).isEqualTo(current);
    }

    @Test
    @Order(3)
    void aHookThatFailsAfterPromotionRaisesAnAlertToTheOwner() throws Exception {
        create("web-broken", "{\"target\":\"local-files\",\"path\":\"web/broken\",\"onPromote\":\"broken\"}");
        assertThat(version("web-broken", 1).get("state").asText()).isEqualTo("CURRENT");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(daemon.get("/api/v1/alerts").body())
                .contains("RotakeyReloadHookFailed").contains("web-broken").contains("web-team@example.com"));
        assertThat(daemon.get("/api/v1/audit?subject=credential:web-broken/v1").body())
                .contains("target.promotion-action-failed");
    }
}
