package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.testing.Commands.Run;
import dev.rotakey.testing.Commands;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code scripts/rotakeyctl}, run with python3 against the real daemon on H2, as an operator would: rotate
 * and wait, inspect versions, status, plan, audit, the kill switch, an emergency revocation, JSON output,
 * and the exit codes and messages of an unknown credential, a missing confirmation and a wrong token
 * (which, like the real one, never appears in the output). One daemon for all, so the tests run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RotakeyctlEndToEndIT {
    private static final Path SCRIPT = Path.of("scripts/rotakeyctl").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static RunningDaemon daemon;
    /** Everything every run printed, checked for the token at the end. */
    static final List<String> OUTPUTS = Collections.synchronizedList(new ArrayList<>());


    @BeforeAll
    static void start() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("ctl"));
        for (String agent : List.of("ctl-agent", "ctl-retiring")) {
            RunningDaemon.Answer a = daemon.post("/api/v1/agents", "{\"id\":\"" + agent + "\",\"owner\":\"team-ops@example.com\"}");
            assertThat(a.status()).as(a.body()).isEqualTo(201);
            RunningDaemon.Answer c = daemon.post("/api/v1/credentials", "{\"id\":\"" + agent + "-api\",\"agent\":\"" + agent
                    + "\",\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                    + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/api\"}]}");
            assertThat(c.status()).as(c.body()).isEqualTo(201);
        }
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            String token = daemon.token();
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
            assertThat(OUTPUTS).isNotEmpty().noneMatch(o -> o.contains(token));
        }
    }

    /** Runs the script with the daemon's URLs and its admin token file (unless {@code env} says otherwise). */
    private static Run ctl(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("python3", SCRIPT.toString()));
        command.addAll(List.of(args));
        Map<String, String> e = new java.util.HashMap<>();
        e.put("ROTAKEY_URL", daemon.app("").toString());
        e.put("ROTAKEY_ADMIN_URL", daemon.admin("").toString());
        e.put("ROTAKEY_TOKEN_FILE", daemon.dataDir().resolve("admin-token").toString());
        // No host's /etc/rotakey/rotakeyctl.conf: an empty config file.
        e.put("ROTAKEYCTL_CONF", "/dev/null");
        e.putAll(env);
        Run run = Commands.run(command, e, null, null, Duration.ofSeconds(90));
        OUTPUTS.add(run.out() + run.err());
        return run;
    }

    private static Run ctl(String... args) throws IOException, InterruptedException {
        return ctl(Map.of(), args);
    }

    private static Run ok(String... args) throws IOException, InterruptedException {
        Run r = ctl(args);
        assertThat(r.exit()).as("rotakeyctl %s\n%s", String.join(" ", args), r).isZero();
        assertThat(r.err()).as(r.toString()).isEmpty();
        return r;
    }

    @Test
    @Order(1)
    void anOperatorsDay() throws Exception {
        Run rotate = ok("rotate", "--credential", "ctl-agent-api", "--wait");
        assertThat(rotate.out()).contains("of ctl-agent-api: SUCCEEDED, version 2");
        assertThat(rotate.out()).containsPattern("(?m)^create +1 +OK").containsPattern("(?m)^promote +1 +OK");

        Run show = ok("credentials", "show", "ctl-agent-api");
        assertThat(show.out()).containsPattern("(?m)^2 +CURRENT ").containsPattern("(?m)^1 +PREVIOUS ")
                .containsPattern("(?m)^current version: +2$");

        Run status = ok("status");
        assertThat(status.out()).contains(": healthy").contains("Rotations: running")
                .containsPattern("(?m)^database-store +yes").contains("2 active").contains("Alerts firing: none");
        Run alerts = ok("alerts");
        assertThat(alerts.out()).startsWith("SINCE").contains("(none)");
        assertThat(JSON.readTree(ok("--json", "alerts").out()).get("alerts").isArray()).isTrue();

        Run plan = ok("plan");
        assertThat(plan.out()).contains("(PT24H)").contains("1 revocations")
                .containsPattern("(?m)^Revocations:\\n.*\\n\\S+ +ctl-agent-api +1 +ctl-agent");
        assertThat(ok("plan", "--within", "P8D").out()).contains("2 rotations").contains("ctl-retiring-api");

        Run audit = ok("audit", "--tail", "5");
        List<String> lines = audit.out().lines().toList();
        assertThat(lines).hasSize(6);
        assertThat(lines.get(0)).startsWith("AT ").contains("ACTION");

        assertThat(ok("rotations", "ctl-agent-api").out()).containsPattern("(?m)^\\S+ +\\S+ +2 +operator .*SUCCEEDED");
        assertThat(ok("agents").out()).contains("ctl-agent").contains("ctl-retiring");
        assertThat(ok("agents", "show", "ctl-agent").out()).contains("team-ops@example.com").contains("ctl-agent-api");
        assertThat(ok("credentials", "--agent", "ctl-retiring").out()).contains("ctl-retiring-api").doesNotContain("ctl-agent-api");
    }

    @Test
    @Order(3)
    void theKillSwitch() throws Exception {
        assertThat(ok("pause").out()).contains("PAUSED");
        try {
            assertThat(ok("status").out()).contains("Rotations: PAUSED");
            assertThat(ok("plan", "--within", "PT1H").out()).contains("PAUSED");
        } finally {
            assertThat(ok("resume").out()).contains("running");
        }
        assertThat(ok("status").out()).contains("Rotations: running");
    }

    @Test
    @Order(5)
    void emergencyRevocationAndDecommissionNeedConfirmation() throws Exception {
        Run refused = ctl("revoke", "--credential", "ctl-retiring-api");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).contains("--yes").contains("not a terminal");
        assertThat(ctl("decommission", "--agent", "ctl-retiring").exit()).isEqualTo(2);

        Run revoke = ok("revoke", "--credential", "ctl-retiring-api", "--yes", "--wait");
        assertThat(revoke.out()).contains("SUCCEEDED, version 2").contains("emergency");
        assertThat(ok("credentials", "show", "ctl-retiring-api").out()).containsPattern("(?m)^1 +REVOKED ")
                .containsPattern("(?m)^2 +CURRENT ");

        Run rotateAgent = ok("rotate", "--agent", "ctl-retiring", "--wait");
        assertThat(rotateAgent.out()).contains("Rotating every active credential of ctl-retiring")
                .containsPattern("Batch \\S+: rotate agent:ctl-retiring by token:\\S+, DONE")
                .contains("1 total, 0 pending, 1 started").contains("1 SUCCEEDED");
        assertThat(ok("credentials", "show", "ctl-retiring-api").out()).containsPattern("(?m)^3 +CURRENT ");

        Run decommission = ok("decommission", "--agent", "ctl-retiring", "--yes", "--wait");
        assertThat(decommission.out()).contains("ctl-retiring decommissioned").contains("ctl-retiring-api")
                .containsPattern("Batch \\S+: decommission agent:ctl-retiring by token:\\S+, DONE")
                .contains("1 total, 0 pending, 0 started, 1 done");
        assertThat(ok("agents", "show", "ctl-retiring").out()).containsPattern("(?m)^status: +decommissioned$");
        assertThat(ok("credentials", "show", "ctl-retiring-api").out()).containsPattern("(?m)^3 +REVOKED ");

        String batch = JSON.readTree(ok("--json", "batches", "--limit", "1").out()).get("batches").get(0).get("id").asText();
        Run shown = ok("batch", batch);
        assertThat(shown.out()).contains("Batch " + batch + ": decommission agent:ctl-retiring")
                .containsPattern("(?m)^ctl-retiring-api +DONE ");
        Run unknown = ctl("batch", "00000000-0000-4000-8000-000000000000");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("HTTP 404");
    }

    @Test
    @Order(2)
    void jsonOutputIsTheServersJson() throws Exception {
        JsonNode credential = JSON.readTree(ok("--json", "credentials", "show", "ctl-agent-api").out());
        assertThat(credential.get("id").asText()).isEqualTo("ctl-agent-api");
        JsonNode plan = JSON.readTree(ok("--json", "plan", "--within", "P1D").out());
        assertThat(plan.get("within").asText()).isEqualTo("P1D");
        JsonNode status = JSON.readTree(ok("--json", "status").out());
        assertThat(status.get("status").has("paused")).isTrue();
        assertThat(status.get("healthcheck").get("database-store").get("healthy").asBoolean()).isTrue();
    }

    @Test
    @Order(3)
    void thePostureReportAsATableJsonAndCsv() throws Exception {
        Run table = ok("posture");
        assertThat(table.out()).contains("Posture score: ").contains("team-ops@example.com")
                .contains("SEVERITY").contains("REMEDY");
        JsonNode report = JSON.readTree(ok("posture", "--json", "--owner", "team-ops@example.com").out());
        assertThat(report.get("score").asInt()).isBetween(0, 100);
        assertThat(report.get("counts").get("byOwner").has("team-ops@example.com")).isTrue();
        assertThat(report.get("counts").get("credentials").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(ok("posture", "--csv", "--severity", "high").out())
                .startsWith("severity,kind,agent,owner,credential,version,subject,summary,remedy,audit,since\n");

        Run bad = ctl("posture", "--severity", "urgent");
        assertThat(bad.exit()).isEqualTo(2);
        RunningDaemon.Answer refused = daemon.get("/api/v1/posture?severity=urgent");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("severity");
        assertThat(daemon.get("/api/v1/posture?format=xml").status()).isEqualTo(400);
        RunningDaemon.Answer csv = daemon.get("/api/v1/posture?format=csv");
        assertThat(csv.status()).isEqualTo(200);
        assertThat(csv.body()).startsWith("severity,kind,");
    }

    @Test
    @Order(3)
    void anOwnerAttestsAnAgent() throws Exception {
        Run attested = ok("attest", "--agent", "ctl-agent");
        assertThat(attested.out()).contains("Agent ctl-agent attested by token:").contains("team-ops@example.com");
        JsonNode agent = JSON.readTree(ok("--json", "attest", "--agent", "ctl-agent").out());
        assertThat(agent.get("attestation").get("attestedAt").asText()).isNotEmpty();
        assertThat(ctl("attest", "--agent", "no-such-agent").exit()).isEqualTo(1);
    }

    @Test
    @Order(4)
    void failuresAreClearAndExitNonZero() throws Exception {
        Run unknown = ctl("credentials", "show", "no-such-credential");
        assertThat(unknown.exit()).as(unknown.toString()).isEqualTo(1);
        assertThat(unknown.err()).contains("HTTP 404").contains("credential 'no-such-credential' does not exist");
        assertThat(unknown.out()).isEmpty();

        Run rotateUnknown = ctl("rotate", "--credential", "no-such-credential", "--wait");
        assertThat(rotateUnknown.exit()).as(rotateUnknown.toString()).isEqualTo(1);
        assertThat(rotateUnknown.err()).contains("/tasks/rotate").contains("no-such-credential");

        Run badWindow = ctl("plan", "--within", "P400D");
        assertThat(badWindow.exit()).isEqualTo(1);
        assertThat(badWindow.err()).contains("HTTP 422").contains("within");

        String wrong = "rk-wrong-token-4d1f0c9a7e";
        Run refused = ctl(Map.of("ROTAKEY_TOKEN_FILE", "", "ROTAKEY_TOKEN", wrong), "status");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(3);
        assertThat(refused.err()).contains("authentication refused by " + daemon.app("/api/v1/status"))
                .contains("HTTP 401").contains("unknown or revoked token");
        assertThat(refused.out() + refused.err()).doesNotContain(wrong);

        Run unreachable = ctl(Map.of("ROTAKEY_URL", "http://127.0.0.1:9"), "agents");
        assertThat(unreachable.exit()).isEqualTo(3);
        assertThat(unreachable.err()).contains("cannot connect to http://127.0.0.1:9");

        Run usage = ctl("rotate");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("--credential");
        Run help = ctl("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("exit codes").contains("ROTAKEY_TOKEN_FILE");
    }

    @Test
    @Order(6)
    void auditFollowPrintsNewEventsAsTheyHappen() throws Exception {
        Path out = Files.createTempFile(dir, "follow", ".txt");
        ProcessBuilder pb = new ProcessBuilder("python3", SCRIPT.toString(), "audit", "--tail", "1", "--follow",
                "--interval", "0.2", "--subject", "credential:ctl-agent-api");
        pb.environment().keySet().removeIf(k -> k.startsWith("ROTAKEY"));
        pb.environment().put("ROTAKEYCTL_CONF", "/dev/null");
        pb.environment().put("ROTAKEY_URL", daemon.app("").toString());
        pb.environment().put("ROTAKEY_TOKEN_FILE", daemon.dataDir().resolve("admin-token").toString());
        Process p = pb.redirectOutput(out.toFile()).redirectErrorStream(true).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(out).startsWith("AT "));
            assertThat(daemon.task("/tasks/rotate?credential=ctl-agent-api").status()).isEqualTo(200);
            // The tail already shows version 2's success (subjects match by prefix): wait for version 3's.
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    Files.readString(out).contains("rotation.succeeded  credential:ctl-agent-api/v3"));
            assertThat(Files.readString(out)).contains("operator.rotate").doesNotContain("Traceback");
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            OUTPUTS.add(Files.readString(out));
        }
    }
}
