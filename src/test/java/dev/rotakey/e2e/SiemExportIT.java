package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.crash.CrashToken;
import dev.rotakey.testing.DaemonProcess;
import dev.rotakey.testing.OpenSsl;
import dev.rotakey.testing.RecordingHttpServer;
import dev.rotakey.testing.RsyslogProcess;
import dev.rotakey.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The SIEM export of the real daemon: audit events reach a real rsyslogd over mutual TLS as RFC 5424 messages with
 * structured data, an OCSF file and an OCSF HTTP collector; with the receivers away (rsyslogd killed, the collector
 * answering 503) and the daemon restarted meanwhile, the lag shows in the metrics and Rotakey's alert, and when they
 * return every event arrives, none missing; no secret ever appears in what they received.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SiemExportIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SD_SEQ = Pattern.compile("\\[rotakey@32473 seq=\"(\\d+)\"");

    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private Path base;
    private Path dataDir;
    private RsyslogProcess rsyslog;
    private RecordingHttpServer collector;
    private DaemonProcess daemon;

    @BeforeAll
    void start() throws Exception {
        base = Path.of("target", "siem-e2e", run).toAbsolutePath();
        dataDir = base.resolve("data");
        Path pki = Files.createDirectories(base.resolve("pki"));
        TestPki.Ca ca = TestPki.Ca.root("CN=SIEM Test CA");
        TestPki.Leaf server = ca.leaf("CN=localhost", Instant.now().minusSeconds(3600), Instant.now().plusSeconds(86400),
                false, TestPki.dns("localhost"));
        TestPki.Leaf client = ca.leaf("CN=rotakey-siem-client");
        Path caFile = write(pki.resolve("ca.pem"), TestPki.pem("CERTIFICATE", ca.certificate().getEncoded()));
        write(pki.resolve("server.pem"), TestPki.pem("CERTIFICATE", server.certificate().getEncoded()));
        write(pki.resolve("server.java.key"), TestPki.pem("PRIVATE KEY", server.keys().getPrivate().getEncoded()));
        // GnuTLS wants the public point inside an EC private key, which the JDK's encoding leaves out: openssl adds it.
        OpenSsl.openssl("ec", "-in", pki.resolve("server.java.key").toString(), "-out", pki.resolve("server.key").toString());
        write(pki.resolve("client.pem"), TestPki.pem("CERTIFICATE", client.certificate().getEncoded()));
        write(pki.resolve("client.key"), TestPki.pem("PRIVATE KEY", client.keys().getPrivate().getEncoded()));
        write(pki.resolve("collector-token"), "collector-secret-" + run + "\n");

        rsyslog = new RsyslogProcess(base.resolve("rsyslog"), caFile, pki.resolve("server.pem"),
                pki.resolve("server.key"), "rotakey-siem-client");
        rsyslog.start();
        collector = new RecordingHttpServer(200);

        String config = Files.readString(Path.of("config/rotakey.yml")) + String.join("\n",
                "",
                "audit:",
                "  streams:",
                "    - name: siem",
                "      type: syslog",
                "      host: localhost",
                "      port: " + rsyslog.port(),
                "      interval: PT0.2S",
                "      maxBackoff: PT1S",
                "      lagAlertAfter: PT2S",
                "      tls:",
                "        caFile: " + caFile,
                "        clientCertificateFile: " + pki.resolve("client.pem"),
                "        clientKeyFile: " + pki.resolve("client.key"),
                "    - name: ocsf",
                "      type: ocsf-file",
                "      path: " + base.resolve("ocsf.jsonl"),
                "      interval: PT0.2S",
                "    - name: collector",
                "      type: ocsf-http",
                "      url: " + collector.url("/ingest"),
                "      allowHttp: true",
                "      token:",
                "        file: " + pki.resolve("collector-token"),
                "      interval: PT0.2S",
                "      maxBackoff: PT1S",
                "");
        Path configFile = write(base.resolve("rotakey.yml"), config);
        CrashToken token = CrashToken.create(base.resolve("softhsm"), dataDir);
        daemon = new DaemonProcess(configFile, dataDir, Map.of("alerting.evaluationInterval", "PT1S"),
                Map.of("SOFTHSM2_CONF", token.conf().toString()));
        daemon.start("");
    }

    @AfterAll
    void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (collector != null) {
            collector.close();
        }
        if (rsyslog != null) {
            rsyslog.close();
        }
    }

    private static Path write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private long headSeq() throws IOException {
        DaemonProcess.Answer verified = daemon.get("/api/v1/audit/verify");
        assertThat(verified.status()).as(verified.body()).isEqualTo(200);
        return JSON.readTree(verified.body()).get("headSeq").asLong();
    }

    /** The seqs rsyslogd wrote, in the order it wrote them. */
    private List<Long> syslogSeqs() {
        List<Long> seqs = new ArrayList<>();
        for (String line : rsyslog.lines()) {
            Matcher m = SD_SEQ.matcher(line);
            if (m.find()) {
                seqs.add(Long.parseLong(m.group(1)));
            }
        }
        return seqs;
    }

    private List<JsonNode> ocsfFile() {
        try {
            Path file = base.resolve("ocsf.jsonl");
            return !Files.exists(file) ? List.of() : Files.readAllLines(file).stream().map(SiemExportIT::json).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<JsonNode> collected() {
        return collector.requests().stream().flatMap(r -> r.text().lines()).map(SiemExportIT::json).toList();
    }

    private static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<Long> uids(List<JsonNode> events) {
        return events.stream().map(e -> e.at("/metadata/uid").asLong()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<Long> upTo(long head) {
        return LongStream.rangeClosed(1, head).boxed().collect(Collectors.toCollection(TreeSet::new));
    }

    private void awaitEverythingUpToTheHead() throws IOException {
        awaitEverythingUpTo(headSeq());
    }

    private void awaitEverythingUpTo(long head) {
        await("every event up to " + head + " everywhere").atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(new TreeSet<>(syslogSeqs())).containsAll(upTo(head));
            assertThat(uids(ocsfFile())).containsAll(upTo(head));
            assertThat(uids(collected())).containsAll(upTo(head));
        });
    }

    private void someActivity(String agent) {
        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"" + agent + "\",\"owner\":\"ops@example.com\"}").status())
                .isEqualTo(201);
        DaemonProcess.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"" + agent + "-key\",\"agent\":\""
                + agent + "\",\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},"
                + "\"gracePeriod\":\"PT1H\",\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/api\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(daemon.task("/tasks/rotate?credential=" + agent + "-key").status()).isEqualTo(200);
    }

    private double metric(String name, String stream) {
        String text = daemon.adminGet("/metrics/prometheus").body();
        Matcher m = Pattern.compile("(?m)^" + name + "\\{stream=\"" + stream + "\"} (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Test
    @Order(1)
    void everyEventReachesRsyslogOverMutualTlsTheFileAndTheCollector() throws Exception {
        someActivity("streamed");

        awaitEverythingUpToTheHead();

        String created = rsyslog.lines().stream().filter(l -> l.contains(" agent.created ")).findFirst().orElseThrow();
        assertThat(created).matches("<\\d+>1 \\S+ \\S+ rotakey - agent\\.created \\[rotakey@32473 seq=\"\\d+\" id=\"\\d+\" "
                + "actor=\"token:admin\" action=\"agent\\.created\" subject=\"agent:streamed\" outcome=\"ok\".*hash=\"[0-9a-f]{64}\"].*");
        JsonNode first = ocsfFile().get(0);
        assertThat(first.get("class_uid").asInt()).isIn(3001, 3002, 6003);
        assertThat(first.at("/metadata/product/name").asText()).isEqualTo("Rotakey");
        assertThat(collector.requests().get(0).header("authorization")).isEqualTo("Bearer collector-secret-" + run);
        assertThat(collector.requests().get(0).header("content-type")).isEqualTo("application/x-ndjson");
        assertThat(metric("rotakey_audit_stream_lag_events", "siem")).isZero();
    }

    @Test
    @Order(2)
    void refusedAuthenticationsAreFailedLogonsFromTheirAddress() throws Exception {
        java.net.http.HttpResponse<String> refused = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(daemon.apiUrl("/api/v1/status")))
                        .header("Authorization", "Bearer not-a-token").GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(401);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(ocsfFile())
                .anySatisfy(e -> {
                    assertThat(e.get("type_uid").asInt()).isEqualTo(300201);
                    assertThat(e.get("status_id").asInt()).isEqualTo(2);
                    assertThat(e.at("/src_endpoint/ip").asText()).isEqualTo("127.0.0.1");
                }));
    }

    @Test
    @Order(3)
    void withTheReceiversAwayAndTheDaemonRestartedNothingIsLostAndTheBacklogDrains() throws Exception {
        awaitEverythingUpToTheHead();
        rsyslog.kill();
        collector.answer(java.util.stream.IntStream.range(0, 10_000).map(i -> 503).toArray());

        someActivity("while-away");
        await("the syslog stream lags and fails").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(metric("rotakey_audit_stream_lag_events", "siem")).isPositive();
            assertThat(metric("rotakey_audit_stream_failures_total", "siem")).isPositive();
            assertThat(metric("rotakey_audit_stream_lag_events", "collector")).isPositive();
        });
        await("Rotakey alerts on the lag").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(daemon.get("/api/v1/alerts").body()).contains("RotakeyAuditStreamLagging").contains("siem"));

        // A restart while they are away: the cursors are in the database, not in the process.
        daemon.stop();
        daemon.start("");
        someActivity("after-restart");
        long head = headSeq();
        assertThat(syslogSeqs()).doesNotContain(head);

        rsyslog.start();
        collector.answerNormally();
        awaitEverythingUpTo(head);
        await("the alert resolves").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(metric("rotakey_audit_stream_lag_events", "siem")).isZero());
    }


    @Test
    @Order(4)
    void noSecretIsInAnythingTheReceiversGot() throws Exception {
        List<String> secrets = new ArrayList<>();
        try (Stream<Path> delivered = Files.walk(dataDir.resolve("delivered"))) {
            for (Path p : delivered.filter(Files::isRegularFile).toList()) {
                secrets.add(Files.readString(p).trim());
            }
        }
        secrets.add(Files.readString(dataDir.resolve("admin-token")).trim());
        secrets.add("collector-secret-" + run);
        assertThat(secrets).hasSizeGreaterThan(3).allSatisfy(s -> assertThat(s).hasSizeGreaterThan(15));

        String received = String.join("\n", rsyslog.lines()) + Files.readString(base.resolve("ocsf.jsonl"));
        for (String secret : secrets) {
            assertThat(received).doesNotContain(secret);
        }
    }
}
