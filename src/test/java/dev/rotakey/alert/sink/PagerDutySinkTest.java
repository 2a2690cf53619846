package dev.rotakey.alert.sink;

import dev.rotakey.testing.RecordingHttpServer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.config.SecretSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The {@code pagerduty} sink against a loopback server standing in for the Events API v2. */
class PagerDutySinkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-02T17:00:00Z");
    private static final String ROUTING_KEY = "R0UT1NGK3Y0123456789abcdefabcdef";

    @TempDir
    Path tmp;

    private RecordingHttpServer pagerduty;

    @BeforeEach
    void start() throws Exception {
        pagerduty = new RecordingHttpServer(202);
    }

    @AfterEach
    void stop() {
        pagerduty.close();
    }

    private PagerDutySinkFactory factory() throws Exception {
        Path file = Files.writeString(tmp.resolve("pd.key"), ROUTING_KEY + "\n");
        PagerDutySinkFactory f = new PagerDutySinkFactory();
        f.setRoutingKey(SecretSource.fromFile(file.toString()));
        f.setUrl(pagerduty.url("/v2/enqueue"));
        f.setAllowHttp(true);
        return f;
    }

    @Test
    void triggersAndResolvesOneIncidentByFingerprint() throws Exception {
        AlertSink sink = factory().build("pager");
        Alert alert = SampleAlerts.rotationFailed("billing-agent-api", NOW);

        sink.send(alert);
        sink.send(alert.resolvedAt(NOW.plusSeconds(300)));

        assertThat(pagerduty.requests().get(0).path()).isEqualTo("/v2/enqueue");
        assertThat(JSON.readTree(pagerduty.requests().get(0).body())).isEqualTo(JSON.readTree("""
                {"routing_key":"R0UT1NGK3Y0123456789abcdefabcdef","event_action":"trigger",
                 "dedup_key":"rotation-failed:billing-agent-api",
                 "payload":{"summary":"Rotation of billing-agent-api failed","source":"rotakey","severity":"critical",
                   "timestamp":"2026-12-02T17:00:00Z","component":"billing-agent-api","group":"billing-agent",
                   "class":"RotakeyRotationFailed",
                   "custom_details":{"alertname":"RotakeyRotationFailed","severity":"critical",
                     "owner":"team-billing@example.com","agent":"billing-agent","credential":"billing-agent-api",
                     "backend":"hsm",
                     "description":"Rotation 42 failed after 5 attempts: target 'billing-db' answered HTTP 503. Version 3 is still current."}}}
                """));
        assertThat(JSON.readTree(pagerduty.requests().get(1).body())).isEqualTo(JSON.readTree("""
                {"routing_key":"R0UT1NGK3Y0123456789abcdefabcdef","event_action":"resolve",
                 "dedup_key":"rotation-failed:billing-agent-api"}
                """));
    }

    @Test
    void anAlertAboutABackendUsesItAsComponentAndHasNoGroup() throws Exception {
        PagerDutySinkFactory f = factory();
        f.setSource("rotakey-prod-1");
        AlertSink sink = f.build("pager");

        sink.send(SampleAlerts.backendUnhealthy(NOW));

        var payload = JSON.readTree(pagerduty.requests().get(0).body()).get("payload");
        assertThat(payload.get("component").asText()).isEqualTo("vault");
        assertThat(payload.has("group")).isFalse();
        assertThat(payload.get("source").asText()).isEqualTo("rotakey-prod-1");
    }

    @Test
    void aLongSummaryIsCutTo1024Characters() throws Exception {
        AlertSink sink = factory().build("pager");
        Alert base = SampleAlerts.rotationFailed("billing-agent-api", NOW);
        Alert longOne = new Alert(base.fingerprint(), base.condition(), base.status(), base.labels(), "x".repeat(5000),
                base.description(), base.startsAt(), null);

        sink.send(longOne);

        String summary = JSON.readTree(pagerduty.requests().get(0).body()).at("/payload/summary").asText();
        assertThat(summary).hasSize(1024).endsWith("x…");
    }

    @Test
    void theRoutingKeyIsInNoMessageAndNoToString() throws Exception {
        PagerDutySinkFactory f = factory();
        AlertSink sink = f.build("pager");
        pagerduty.answer(400, 429, 502);

        for (boolean retryable : new boolean[]{false, true, true}) {
            AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                    () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));
            assertThat(e.retryable()).isEqualTo(retryable);
            assertThat(e.getMessage()).startsWith("pagerduty sink 'pager' answered HTTP ").doesNotContain(ROUTING_KEY);
        }
        assertThat(sink.toString()).doesNotContain(ROUTING_KEY);
        assertThat(f.toString()).doesNotContain(ROUTING_KEY);
    }
}
