package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.crash.CrashToken;
import dev.rotakey.testing.DaemonProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit trail of the real daemon on H2 with its checkpoint key in a real SoftHSM2 token: the API and
 * {@code rotakey audit verify} find it intact and signed up to the daemon's stop, {@code rotakey audit export} checks
 * with the shipped openssl script, and a row edited in the database file is named by the command, which exits 1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditTrailEndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private Path base;
    private Path dataDir;
    private DaemonProcess daemon;

    @BeforeAll
    void start() throws Exception {
        base = Path.of("target", "audit-e2e", run).toAbsolutePath();
        dataDir = base.resolve("data");
        CrashToken token = CrashToken.create(base.resolve("softhsm"), dataDir);
        daemon = new DaemonProcess(Path.of("config/rotakey.yml"), dataDir, Map.of(),
                Map.of("SOFTHSM2_CONF", token.conf().toString()));
        daemon.start("");
    }

    @AfterAll
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    @Order(1)
    void theRunningDaemonsTrailVerifies() throws Exception {
        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"audited\",\"owner\":\"ops@example.com\"}").status()).isEqualTo(201);
        DaemonProcess.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"audited-api\",\"agent\":\"audited\","
                + "\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"audited/api\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(daemon.task("/tasks/rotate?credential=audited-api").status()).isEqualTo(200);

        DaemonProcess.Answer answer = daemon.get("/api/v1/audit/verify");
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        JsonNode report = JSON.readTree(answer.body());
        assertThat(report.get("intact").asBoolean()).as(answer.body()).isTrue();
        assertThat(report.get("events").asLong()).isGreaterThan(3);
    }

    @Test
    @Order(2)
    void afterAStopTheCommandFindsItIntactAndSignedToTheEnd() throws Exception {
        daemon.stop();

        DaemonProcess.Answer verified = daemon.command("audit", "verify");

        assertThat(verified.status()).as(verified.body()).isZero();
        JsonNode report = JSON.readTree(verified.body());
        assertThat(report.get("intact").asBoolean()).isTrue();
        assertThat(report.get("unsigned").asLong()).as("the stop signed the last events").isZero();
        assertThat(report.get("lastCheckpointSeq").asLong()).isEqualTo(report.get("headSeq").asLong());
    }

    @Test
    @Order(3)
    void theExportChecksWithOpenssl() throws Exception {
        DaemonProcess.Answer exported = daemon.command("audit", "export");
        assertThat(exported.status()).as(exported.body()).isZero();
        Path file = Files.writeString(base.resolve("audit.jsonl"), exported.body());
        assertThat(exported.body()).startsWith("{\"keys\":[");

        Process check = new ProcessBuilder("scripts/verify-audit-export.sh", file.toString()).redirectErrorStream(true).start();
        String output = new String(check.getInputStream().readAllBytes());
        assertThat(check.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as(output).isZero();
        assertThat(output).contains("intact:").doesNotContain("WARNING");
    }

    @Test
    @Order(4)
    void anEditedRowIsNamedAndTheCommandFails() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dataDir.resolve("rotakey"), "rotakey", "");
             Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE audit_events SET actor = 'token:someone-else' WHERE seq = 2")).isEqualTo(1);
        }

        DaemonProcess.Answer verified = daemon.command("audit", "verify");

        assertThat(verified.status()).as(verified.body()).isEqualTo(1);
        assertThat(verified.body()).contains("\"seq\" : 2").contains("changed after it was recorded")
                .contains("the audit trail is not intact").doesNotContain("Exception");
        List<String> lines = verified.body().lines().toList();
        assertThat(lines).isNotEmpty();
    }
}
