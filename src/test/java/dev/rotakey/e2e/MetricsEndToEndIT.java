package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.metrics.PrometheusRules;
import dev.rotakey.metrics.Samples;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Rotakey's Prometheus metrics in the real daemon: after credentials are created, rotated, revoked
 * and verified, the admin port's {@code /metrics/prometheus} has the rotation, fleet, key backend,
 * target and verification series, every metric the shipped rules use, no per-credential series
 * unless configured, and nothing {@code promtool check metrics} objects to.
 */
class MetricsEndToEndIT {
    /**
     * Metrics the rules use that another part of Rotakey registers: the alert dispatcher's
     * notification counter (the lead's {@code alert/AlertDispatcher}). Remove an entry once its
     * registration is merged, so that this test checks it too.
     */
    @TempDir
    Path dir;

    RunningDaemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    private RunningDaemon start(ConfigOverride... extra) {
        ConfigOverride[] all = new ConfigOverride[extra.length + 3];
        // Fleet figures refreshed every second, so that the test sees its own changes soon.
        all[0] = ConfigOverride.config("prometheus.fleetRefreshInterval", "PT1S");
        // One alert sink, so that its notification counters exist (at zero: nothing fires here).
        all[1] = ConfigOverride.config("alerting.sinks.am.type", "alertmanager");
        all[2] = ConfigOverride.config("alerting.sinks.am.url", "http://127.0.0.1:9");
        System.arraycopy(extra, 0, all, 3, extra.length);
        // One SIEM stream, so that its lag series exist (a list cannot be added by an override).
        Path config = dir.resolve("rotakey.yml");
        try {
            java.nio.file.Files.writeString(config, java.nio.file.Files.readString(Path.of("config/rotakey.yml"))
                    + "\naudit:\n  streams:\n    - name: ocsf\n      type: ocsf-file\n      path: "
                    + dir.resolve("audit.ocsf.jsonl") + "\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new RunningDaemon(config.toString(), dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey")
                + ";LOCK_TIMEOUT=10000", SoftHsmTokens.APP, RunningDaemon.uniqueName("metrics"), all);
    }

    private void post(String path, String json) {
        RunningDaemon.Answer a = daemon.post(path, json);
        assertThat(a.status()).as(a.body()).isEqualTo(201);
    }

    private void apiKey(String id, String agent) {
        post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"" + agent + "\",\"type\":\"api-key\","
                + "\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/" + id + "\"}]}");
    }

    private String state(String credential, int version) {
        for (JsonNode v : daemon.get("/api/v1/credentials/" + credential).json().get("versions")) {
            if (v.get("version").asInt() == version) {
                return v.get("state").asText();
            }
        }
        return "absent";
    }

    private String verifyReason(String key) {
        RunningDaemon.Answer a = daemon.post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return a.json().path("valid").asBoolean() ? "valid" : a.json().path("reason").asText();
    }

    private Samples scrape() {
        RunningDaemon.Answer a = daemon.adminGet("/metrics/prometheus");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return Samples.parse(a.body());
    }

    @Test
    void theScrapeHasEveryFamilyAfterARotationStory() throws Exception {
        daemon = start();
        post("/api/v1/agents", "{\"id\":\"billing-agent\",\"owner\":\"team-billing@example.com\"}");
        apiKey("billing-api", "billing-agent");
        post("/api/v1/credentials", "{\"id\":\"billing-mtls\",\"agent\":\"billing-agent\",\"type\":\"certificate\","
                + "\"ca\":\"agents-ca\",\"validity\":\"PT1H\",\"gracePeriod\":\"PT2S\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"billing-agent/billing-mtls\"}]}");

        String key1 = daemon.delivered("billing-agent/billing-api");
        assertThat(daemon.task("/tasks/rotate?credential=billing-api").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> state("billing-api", 2).equals("CURRENT"));
        String key2 = daemon.delivered("billing-agent/billing-api");
        // An emergency revoke: versions 1 and 2 are revoked at once, version 3 takes over.
        assertThat(daemon.task("/tasks/revoke?credential=billing-api").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> state("billing-api", 2).equals("REVOKED"));
        String key3 = daemon.delivered("billing-agent/billing-api");

        assertThat(verifyReason(key3)).isEqualTo("valid");
        assertThat(verifyReason(key1)).isEqualTo("revoked");   // the emergency revoked every old version
        assertThat(verifyReason(key2)).isEqualTo("revoked");
        assertThat(verifyReason("rk_not-a-key")).startsWith("malformed");

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Samples s = scrape();
            assertThat(s.value("rotakey_credential_versions", "state", "revoked")).isEqualTo(2);
            assertThat(s.value("rotakey_rotations_in_progress")).isZero();
        });
        Samples s = scrape();

        // Rotations: the initial ones, the operator's, the emergency one; each step timed.
        String r = "rotakey_rotations_total";
        assertThat(s.value(r, "type", "api-key", "trigger", "initial", "outcome", "succeeded")).isEqualTo(1);
        assertThat(s.value(r, "type", "certificate", "trigger", "initial", "outcome", "succeeded")).isEqualTo(1);
        assertThat(s.value(r, "type", "api-key", "trigger", "operator", "outcome", "succeeded")).isEqualTo(1);
        assertThat(s.value(r, "type", "api-key", "trigger", "emergency", "outcome", "succeeded")).isEqualTo(1);
        assertThat(s.value(r, "type", "api-key", "trigger", "operator", "outcome", "failed")).isZero();
        assertThat(s.value("rotakey_rotation_duration_seconds_count", "type", "api-key", "trigger", "operator",
                "outcome", "succeeded")).isEqualTo(1);
        for (String step : List.of("create", "deliver", "verify", "promote")) {
            assertThat(s.value("rotakey_rotation_step_duration_seconds_count", "step", step, "outcome", "ok"))
                    .as(step).isEqualTo(4);
        }

        // The fleet.
        assertThat(s.value("rotakey_credentials", "state", "active")).isEqualTo(2);
        assertThat(s.value("rotakey_credentials", "state", "decommissioned")).isZero();
        assertThat(s.value("rotakey_credential_versions", "state", "current")).isEqualTo(2);
        assertThat(s.value("rotakey_credential_versions", "state", "previous")).isZero();
        assertThat(s.value("rotakey_credentials_failed")).isZero();
        assertThat(s.value("rotakey_revocations_failed")).isZero();
        assertThat(s.value("rotakey_credentials_overdue")).isZero();
        assertThat(s.find("rotakey_oldest_overdue_rotation_timestamp_seconds")).isEmpty();
        double now = Instant.now().getEpochSecond();
        // The certificate (validity PT1H) renews after two thirds of it, before the API key's P7D.
        assertThat(s.value("rotakey_next_rotation_timestamp_seconds")).isBetween(now, now + 3600);
        assertThat(s.value("rotakey_last_successful_rotation_timestamp_seconds")).isBetween(now - 60, now + 1);
        assertThat(s.value("rotakey_certificate_earliest_expiry_timestamp_seconds", "ca", "agents-ca"))
                .isBetween(now + 3000, now + 3700);
        assertThat(s.value("rotakey_ca_certificate_expiry_timestamp_seconds", "ca", "agents-ca", "generation", "1"))
                .isGreaterThan(now + 3000 * 86400.0);
        assertThat(s.value("rotakey_scheduler_paused")).isZero();
        assertThat(s.value("rotakey_key_backend_up", "backend", "hsm", "type", "pkcs11")).isEqualTo(1);

        // Key backend and target operations.
        String kb = "rotakey_key_backend_operation_duration_seconds_count";
        assertThat(s.value(kb, "backend", "hsm", "operation", "hmac")).isGreaterThanOrEqualTo(4);
        assertThat(s.value(kb, "backend", "hsm", "operation", "random_bytes")).isGreaterThanOrEqualTo(3);
        // A fresh database: the CA's key was created in the token at start.
        assertThat(s.value(kb, "backend", "hsm", "operation", "create_signing_key")).isEqualTo(1);
        String t = "rotakey_target_operation_duration_seconds_count";
        assertThat(s.value(t, "target", "local-files", "type", "local-files", "operation", "deliver")).isEqualTo(4);
        assertThat(s.value(t, "target", "local-files", "type", "local-files", "operation", "verify")).isEqualTo(4);
        assertThat(s.value(t, "target", "local-files", "type", "local-files", "operation", "revoke")).isEqualTo(2);
        // No target failed: the only error series are the promotion actions', exported at zero from the start.
        assertThat(s.matching("rotakey_target_operation_errors_total")).allSatisfy(x -> {
            assertThat(x.labels()).containsEntry("operation", "promoted");
            assertThat(x.value()).isZero();
        });

        // Verifications, by result: the revoked key presented is what the leaked-key rule counts.
        String v = "rotakey_api_key_verifications_total";
        assertThat(s.value(v, "result", "valid")).isEqualTo(1);
        assertThat(s.value(v, "result", "revoked")).isEqualTo(2);
        assertThat(s.value(v, "result", "malformed")).isEqualTo(1);
        assertThat(s.value(v, "result", "unknown")).isZero();

        // Every metric the shipped rules use is exported (samples, not just a TYPE line).
        Set<String> exported = s.all().stream().map(Samples.Sample::name).collect(Collectors.toCollection(TreeSet::new));
        Set<String> used = new TreeSet<>(PrometheusRules.metricNames());
        assertThat(exported).containsAll(used);

        // No per-credential series by default: labels stay bounded.
        assertThat(s.all()).noneMatch(x -> x.labels().containsKey("credential") || x.labels().containsKey("owner")
                || x.labels().containsKey("agent"));
        assertThat(s.text()).doesNotContain("billing-api").doesNotContain("team-billing");
        // No secret: neither a key nor the token.
        assertThat(s.text()).doesNotContain(key1).doesNotContain(key2).doesNotContain(key3)
                .doesNotContain(daemon.token());

        assertPromtoolAcceptsRotakeysMetrics(s.text());
    }

    /**
     * promtool lints the scrape; Dropwizard's exported metrics (Jetty, JVM, Jersey) are not Rotakey's to
     * name, so only Rotakey's own families are given to it: every {@code rotakey_} line.
     */
    private static void assertPromtoolAcceptsRotakeysMetrics(String scrape) {
        String own = scrape.lines()
                .filter(l -> l.startsWith("rotakey_") || l.startsWith("# HELP rotakey_") || l.startsWith("# TYPE rotakey_"))
                .collect(Collectors.joining("\n", "", "\n"));
        assertThat(own).contains("# TYPE rotakey_rotations_total counter", "rotakey_key_backend_up{");
        PrometheusRules.Run run = PrometheusRules.promtool(own, "check", "metrics");
        assertThat(run.output()).as("promtool check metrics").isBlank();
        assertThat(run.exitCode()).as(run.output()).isZero();
    }

    @Test
    void perCredentialSeriesWhenConfigured() {
        daemon = start(ConfigOverride.config("prometheus.perCredentialSeries", "true"));
        post("/api/v1/agents", "{\"id\":\"a1\",\"owner\":\"team-a@example.com\"}");
        apiKey("c1", "a1");
        apiKey("c2", "a1");
        assertThat(daemon.task("/tasks/rotate?credential=c2").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> state("c2", 2).equals("CURRENT"));

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Samples s = scrape();
            assertThat(s.value("rotakey_credential_current_version", "credential", "c1", "agent", "a1",
                    "owner", "team-a@example.com")).isEqualTo(1);
            assertThat(s.value("rotakey_credential_current_version", "credential", "c2")).isEqualTo(2);
        });
        Samples s = scrape();
        double now = Instant.now().getEpochSecond();
        assertThat(s.value("rotakey_credential_next_rotation_timestamp_seconds", "credential", "c1", "agent", "a1",
                "owner", "team-a@example.com")).isBetween(now + 6 * 86400.0, now + 8 * 86400.0);
        assertThat(s.matching("rotakey_credential_next_rotation_timestamp_seconds")).hasSize(2);
    }
}
