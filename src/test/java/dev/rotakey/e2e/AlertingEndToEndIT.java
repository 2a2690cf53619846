package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.core.ApiKeyFormat;
import dev.rotakey.testing.AlertmanagerProcess;
import dev.rotakey.testing.RecordingHttpServer;
import dev.rotakey.testing.RecordingHttpServer.Request;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Alerting through the real daemon into the machine's real Alertmanager and a signed webhook: a
 * rotation that a target refuses gives exactly one firing alert labelled with the agent's owner,
 * a later successful rotation resolves it, and a stopped scheduler is noticed by the overdue
 * (dead-man) alert, which resolves once the credential is rotated.
 *
 * <p>One daemon, Alertmanager and pair of webhook receivers serve both tests: they look only at alerts of their
 * own credentials, by alert name, and each leaves nothing firing that the other counts.
 */
class AlertingEndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OWNER = "team-billing@example.com";
    private static final byte[] HOOK_KEY = "alert-webhook-signing-key-of-32-bytes-or-more".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CONSUMER_KEY = "consumer-webhook-signing-key-32-bytes-or-more".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;

    private static AlertmanagerProcess alertmanager;
    private static RecordingHttpServer alertHook;
    private static RecordingHttpServer consumer;
    private static RunningDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        alertmanager = AlertmanagerProcess.start();
        alertHook = new RecordingHttpServer(204);
        consumer = new RecordingHttpServer(204);
        Path hookKey = Files.write(dir.resolve("hook-key"), HOOK_KEY);
        Path consumerKey = Files.write(dir.resolve("consumer-key"), CONSUMER_KEY);
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("data/rotakey"),
                dev.rotakey.testing.SoftHsmTokens.APP, RunningDaemon.uniqueName("alerting"),
                ConfigOverride.config("targets.consumer.type", "webhook"),
                ConfigOverride.config("targets.consumer.url", consumer.url("/hook")),
                ConfigOverride.config("targets.consumer.allowHttp", "true"),
                ConfigOverride.config("targets.consumer.secret.file", consumerKey.toString()),
                ConfigOverride.config("alerting.owner", "secops@example.com"),
                ConfigOverride.config("alerting.evaluationInterval", "PT0.5S"),
                ConfigOverride.config("alerting.repeatInterval", "PT1H"),
                ConfigOverride.config("alerting.overdueAfter", "PT1S"),
                ConfigOverride.config("alerting.delivery.initialBackoff", "PT0.05S"),
                ConfigOverride.config("alerting.sinks.am.type", "alertmanager"),
                ConfigOverride.config("alerting.sinks.am.url", alertmanager.baseUrl()),
                ConfigOverride.config("alerting.sinks.hook.type", "webhook"),
                ConfigOverride.config("alerting.sinks.hook.url", alertHook.url("/alerts")),
                ConfigOverride.config("alerting.sinks.hook.allowHttp", "true"),
                ConfigOverride.config("alerting.sinks.hook.secret.file", hookKey.toString()));
        RunningDaemon.Answer agent = daemon.post("/api/v1/agents",
                "{\"id\":\"billing-agent\",\"owner\":\"" + OWNER + "\"}");
        assertThat(agent.status()).as(agent.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[]{daemon, consumer, alertHook, alertmanager}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the others still close
            }
        }
    }

    private void createCredential(String id, String target, String path) {
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"billing-agent\","
                + "\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"" + target + "\",\"" + (target.equals("consumer") ? "consumer" : "path")
                + "\":\"" + path + "\"}]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
    }

    /** Starts a rotation over the admin port and waits until it has finished; returns its final state. */
    private String rotate(String credential) throws Exception {
        RunningDaemon.Answer started = daemon.task("/tasks/rotate?credential=" + credential);
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        String rotation = started.json().path("rotations").get(0).path("id").asText();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                !daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText().equals("RUNNING"));
        return daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText();
    }

    private JsonNode firing(String alertname) {
        return alertmanager.alerts("alertname=\"" + alertname + "\"");
    }

    /** The alerts the webhook sink delivered, each checked against its signature exactly as a receiver would. */
    private List<JsonNode> signedAlerts() {
        return alertHook.requests().stream().map(r -> {
            assertThat(authentic(r)).as("signature of %s", r.text()).isTrue();
            try {
                return JSON.readTree(r.body());
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    private static boolean authentic(Request r) {
        String timestamp = r.header("Rotakey-Timestamp");
        String signature = r.header("Rotakey-Signature");
        if (timestamp == null || signature == null || r.header("Rotakey-Event-Id") == null) {
            return false;
        }
        if (Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) > 300) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(HOOK_KEY, "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            byte[] expected = ("v1=" + HexFormat.of().formatHex(mac.doFinal(r.body()))).getBytes(StandardCharsets.US_ASCII);
            return MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII));
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aRotationTheTargetRefusesFiresOneAlertWithTheOwnerAndASuccessfulRotationResolvesIt() throws Exception {
        createCredential("billing-api", "consumer", "billing");
        consumer.answer(403); // the consumer refuses the next delivery: nothing a retry would change

        assertThat(rotate("billing-api")).isEqualTo("FAILED");

        await().atMost(Duration.ofSeconds(30)).until(() -> firing("RotakeyRotationFailed").size() == 1);
        JsonNode alert = firing("RotakeyRotationFailed").get(0);
        assertThat(alert.path("labels").path("owner").asText()).isEqualTo(OWNER);
        assertThat(alert.path("labels").path("agent").asText()).isEqualTo("billing-agent");
        assertThat(alert.path("labels").path("credential").asText()).isEqualTo("billing-api");
        assertThat(alert.path("labels").path("severity").asText()).isEqualTo("critical");
        assertThat(alert.path("annotations").path("summary").asText()).contains("billing-api");
        assertThat(alert.path("status").path("state").asText()).isEqualTo("active");
        await().atMost(Duration.ofSeconds(30)).until(() -> signedAlerts().stream()
                .anyMatch(a -> a.path("alertname").asText().equals("RotakeyRotationFailed")));
        JsonNode hooked = signedAlerts().stream()
                .filter(a -> a.path("alertname").asText().equals("RotakeyRotationFailed")).findFirst().orElseThrow();
        assertThat(hooked.path("status").asText()).isEqualTo("firing");
        assertThat(hooked.path("owner").asText()).isEqualTo(OWNER);
        assertThat(hooked.path("fingerprint").asText()).isEqualTo("rotation-failed:billing-api");
        // Still one alert in Alertmanager after more evaluations: the ledger sent it once.
        assertThat(daemon.get("/api/v1/alerts").json().path("alerts")).hasSize(1);
        assertThat(firing("RotakeyRotationFailed")).hasSize(1);

        assertThat(rotate("billing-api")).isEqualTo("SUCCEEDED");

        await().atMost(Duration.ofSeconds(30)).until(() -> firing("RotakeyRotationFailed").isEmpty());
        await().atMost(Duration.ofSeconds(30)).until(() -> signedAlerts().stream()
                .anyMatch(a -> a.path("status").asText().equals("resolved")
                        && a.path("fingerprint").asText().equals("rotation-failed:billing-api")));
        assertThat(daemon.get("/api/v1/alerts").json().path("alerts")).isEmpty();
        // Alerts carry identifiers and outcomes only: no key that was ever delivered appears in any of them.
        List<String> keys = consumer.requests().stream().map(Request::text)
                .flatMap(t -> java.util.regex.Pattern.compile(ApiKeyFormat.REGEX).matcher(t).results())
                .map(java.util.regex.MatchResult::group).toList();
        assertThat(keys).isNotEmpty();
        for (Request r : alertHook.requests()) {
            for (String key : keys) {
                assertThat(r.text()).doesNotContain(key);
            }
        }
        assertThat(daemon.get("/api/v1/audit?subject=rotation-failed:billing-api").json().path("events"))
                .extracting(e -> e.path("action").asText()).contains("alert.firing", "alert.resolved");

        // An emergency revocation, then the first key shows up again at the verify endpoint: a security alert.
        RunningDaemon.Answer revoke = daemon.task("/tasks/revoke?credential=billing-api");
        assertThat(revoke.status()).as(revoke.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(60)).until(() -> "revoked".equals(daemon.post("/api/v1/api-keys/verify",
                "{\"key\":\"" + keys.get(0) + "\"}").json().path("reason").asText()));
        await().atMost(Duration.ofSeconds(30)).until(() -> firing("RotakeyRevokedCredentialPresented").size() == 1);
        JsonNode leaked = firing("RotakeyRevokedCredentialPresented").get(0);
        assertThat(leaked.path("labels").path("owner").asText()).isEqualTo(OWNER);
        assertThat(leaked.path("labels").path("credential").asText()).isEqualTo("billing-api");
        assertThat(leaked.path("labels").path("version").asText()).isEqualTo("1");
        assertThat(leaked.path("annotations").path("description").asText()).contains("may have leaked")
                .doesNotContain(keys.get(0));
    }

    @Test
    void aStoppedSchedulerIsNoticedByTheOverdueAlert() throws Exception {
        createCredential("billing-file", "local-files", "billing-agent/api-key");
        daemon.runtime().scheduler().stop();
        // What the database holds once a due time has passed with nobody to act on it.
        daemon.runtime().store().txRun(d -> d.credentials().setNextRotation("billing-file",
                Instant.now().minus(Duration.ofMinutes(5))));
        // The other test needs a running scheduler, whatever happens here.
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> firing("RotakeyCredentialOverdue").size() == 1);
            JsonNode alert = firing("RotakeyCredentialOverdue").get(0);
            assertThat(alert.path("labels").path("owner").asText()).isEqualTo(OWNER);
            assertThat(alert.path("labels").path("credential").asText()).isEqualTo("billing-file");
            assertThat(alert.path("annotations").path("description").asText()).contains("has not succeeded");
            // With the scheduler down, the operator's views still answer, and say so.
            RunningDaemon.Answer status = daemon.get("/api/v1/status");
            assertThat(status.status()).as(status.body()).isEqualTo(200);
            assertThat(status.json().path("schedulerRunning").asBoolean()).isFalse();
            assertThat(status.json().path("alertsFiring").path("RotakeyCredentialOverdue").asInt()).isEqualTo(1);
            RunningDaemon.Answer plan = daemon.get("/api/v1/plan");
            assertThat(plan.status()).as(plan.body()).isEqualTo(200);
            assertThat(plan.json().path("overdue").path("count").asInt()).isEqualTo(1);
        } finally {
            daemon.runtime().scheduler().start();
        }
        // Started again, the scheduler finds the overdue credential in the database and rotates it at once.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (JsonNode v : daemon.get("/api/v1/credentials/billing-file").json().path("versions")) {
                if (v.path("version").asInt() == 2 && v.path("state").asText().equals("CURRENT")) {
                    return true;
                }
            }
            return false;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> firing("RotakeyCredentialOverdue").isEmpty());
    }
}
