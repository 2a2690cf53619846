package dev.rotakey.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.e2e.RunningDaemon;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Defect 5: an operator turns ROOT to TRACE and Jetty to DEBUG through the {@code log-level} task, then
 * tokens of both roles are used on both ports, credentials are created, rotated, verified and
 * acknowledged with their keys. No captured log line holds a token, an API key or a private key.
 */
class SecretLoggingEndToEndIT {
    @TempDir
    static Path dir;
    static RunningDaemon daemon;
    static ListAppender<ILoggingEvent> events;

    @BeforeAll
    static void start() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey"), SoftHsmTokens.APP,
                RunningDaemon.uniqueName("secretlog"));
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        events = new ListAppender<>();
        events.setContext(context);
        events.start();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(events);
    }

    @AfterAll
    static void stop() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(events);
        if (daemon != null) {
            daemon.task("/tasks/log-level?logger=ROOT&level=INFO");
            daemon.task("/tasks/log-level?logger=org.eclipse.jetty");
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    private static String state(String credential, int version) {
        for (JsonNode v : daemon.get("/api/v1/credentials/" + credential).json().get("versions")) {
            if (v.get("version").asInt() == version) {
                return v.get("state").asText();
            }
        }
        return "absent";
    }

    @Test
    void noLevelPrintsATokenOrASecret() throws Exception {
        assertThat(daemon.task("/tasks/log-level?logger=ROOT&level=TRACE").status()).isEqualTo(200);
        assertThat(daemon.task("/tasks/log-level?logger=org.eclipse.jetty&level=DEBUG").status()).isEqualTo(200);
        int before = events.list.size();

        List<String> secrets = new ArrayList<>();
        secrets.add(daemon.token());
        String verifier = daemon.task("/tasks/issue-token?name=logging-verifier&role=verifier").json().get("token").asText();
        secrets.add(verifier);
        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"log-agent\",\"owner\":\"team@example.com\"}").status()).isEqualTo(201);
        RunningDaemon.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"log-api\",\"agent\":\"log-agent\","
                + "\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"log-agent/api\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String key1 = daemon.delivered("log-agent/api").trim();
        secrets.add(key1);
        assertThat(daemon.task("/tasks/rotate?credential=log-api").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> state("log-api", 2).equals("CURRENT"));
        String key2 = daemon.delivered("log-agent/api").trim();
        secrets.add(key2);

        for (String key : List.of(key1, key2, "rk_not_a_key_at_all_0123456789")) {
            RunningDaemon.Answer verified = daemon.send(java.net.http.HttpRequest.newBuilder(daemon.app("/api/v1/api-keys/verify"))
                    .header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\"}")), verifier);
            assertThat(verified.status()).as(verified.body()).isEqualTo(200);
        }
        RunningDaemon.Answer ack = daemon.send(java.net.http.HttpRequest.newBuilder(
                        daemon.app("/api/v1/credentials/log-api/versions/2/ack")).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"consumer\":\"web\",\"key\":\"" + key2 + "\"}")), null);
        assertThat(ack.status()).as(ack.body()).isIn(200, 409, 422);
        // A wrong token is refused; it is a secret too (an operator's mistyped real one).
        String wrong = "rkt_mistypedButAlmostRealToken0123456789abcdef";
        secrets.add(wrong);
        assertThat(daemon.send(java.net.http.HttpRequest.newBuilder(daemon.admin("/healthcheck")).GET(), wrong).status())
                .isEqualTo(401);
        assertThat(daemon.adminGet("/healthcheck").status()).isEqualTo(200);
        assertThat(daemon.adminGet("/metrics/prometheus").status()).isEqualTo(200);

        RunningDaemon.Answer cert = daemon.post("/api/v1/credentials", "{\"id\":\"log-cert\",\"agent\":\"log-agent\","
                + "\"type\":\"certificate\",\"ca\":\"agents-ca\",\"validity\":\"PT1H\",\"gracePeriod\":\"PT2S\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"log-agent/cert\"}]}");
        assertThat(cert.status()).as(cert.body()).isEqualTo(201);
        for (String line : Files.readAllLines(dir.resolve("data/delivered/log-agent/cert/key.pem"))) {
            if (!line.startsWith("-----") && line.length() >= 32) {
                secrets.add(line);
            }
        }

        List<String> lines = daemon.logLines();
        for (String secret : secrets) {
            assertThat(lines).as("a log line holds a secret").noneMatch(l -> l.contains(secret));
        }
        assertThat(lines).noneMatch(l -> l.matches("(?is).*authorization:\\s*bearer\\s+\\S+.*"));
        List<ILoggingEvent> during = List.copyOf(events.list.subList(before, events.list.size()));
        // TRACE was in force (Rotakey's libraries logged below INFO) ...
        assertThat(during).anyMatch(e -> e.getLevel().toInt() < Level.INFO_INT);
        // ... but nothing came from Jetty below INFO, though org.eclipse.jetty itself was at DEBUG.
        assertThat(during).noneMatch(e -> e.getLoggerName().startsWith("org.eclipse.jetty") && e.getLevel().toInt() < Level.INFO_INT);
    }
}
