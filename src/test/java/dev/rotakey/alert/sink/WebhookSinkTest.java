package dev.rotakey.alert.sink;

import dev.rotakey.testing.RecordingHttpServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.config.SecretSource;
import dev.rotakey.targets.webhook.WebhookSignature;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The {@code webhook} alert sink against a real receiver on loopback that checks the signature as a receiver must. */
class WebhookSinkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-02T17:00:00Z");

    @TempDir
    Path tmp;

    private final String secret = randomHex();
    private RecordingHttpServer receiver;
    private AlertSink sink;

    @AfterEach
    void close() {
        if (sink != null) {
            sink.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    private static String randomHex() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private WebhookSink sink(String url, Duration timeout) throws Exception {
        Path file = Files.writeString(tmp.resolve("hook.key"), secret + "\n");
        WebhookSinkFactory f = new WebhookSinkFactory();
        f.setUrl(url);
        f.setAllowHttp(true);
        f.setSecret(SecretSource.fromFile(file.toString()));
        f.setTimeout(timeout);
        WebhookSink s = f.build("ops-hook", Clock.fixed(NOW, ZoneOffset.UTC));
        sink = s;
        return s;
    }

    private WebhookSink sinkToReceiver(int status) throws Exception {
        receiver = new RecordingHttpServer(status);
        return sink(receiver.url("/alerts"), Duration.ofSeconds(5));
    }

    @Test
    void postsASignedVersionedBodyWithAFreshEventIdPerNotification() throws Exception {
        WebhookSink s = sinkToReceiver(204);
        Alert firing = SampleAlerts.rotationFailed("billing-agent-api", NOW.minusSeconds(60));

        s.send(firing);
        s.send(firing.resolvedAt(NOW));

        List<RecordingHttpServer.Request> requests = receiver.requests();
        assertThat(requests).hasSize(2);
        RecordingHttpServer.Request first = requests.get(0);
        assertThat(first.method()).isEqualTo("POST");
        assertThat(first.path()).isEqualTo("/alerts");
        assertThat(first.header("Content-Type")).isEqualTo("application/json");
        assertThat(first.header("Rotakey-Timestamp")).isEqualTo(Long.toString(NOW.getEpochSecond()));
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignature.matches(key, NOW.getEpochSecond(), first.body(), first.header("Rotakey-Signature")))
                .as("the receiver's constant-time check accepts the signature").isTrue();
        assertThat(first.header("Rotakey-Signature"))
                .isEqualTo("v1=" + hmacHex(key, NOW.getEpochSecond() + ".", first.body()));
        assertThat(WebhookSignature.matches("another key of at least 32 bytes!".getBytes(StandardCharsets.UTF_8),
                NOW.getEpochSecond(), first.body(), first.header("Rotakey-Signature"))).isFalse();

        JsonNode body = JSON.readTree(first.body());
        assertThat(body.get("eventId").asText()).isEqualTo(first.header("Rotakey-Event-Id"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).remove("eventId");
        assertThat(body).isEqualTo(JSON.readTree("""
                {"version":1,"fingerprint":"rotation-failed:billing-agent-api","status":"firing",
                 "alertname":"RotakeyRotationFailed","severity":"critical","condition":"rotation-failed",
                 "owner":"team-billing@example.com",
                 "labels":{"alertname":"RotakeyRotationFailed","severity":"critical","owner":"team-billing@example.com",
                           "agent":"billing-agent","credential":"billing-agent-api","backend":"hsm"},
                 "summary":"Rotation of billing-agent-api failed",
                 "description":"Rotation 42 failed after 5 attempts: target 'billing-db' answered HTTP 503. Version 3 is still current.",
                 "startsAt":"2026-12-02T16:59:00Z","endsAt":null}
                """));

        JsonNode resolved = JSON.readTree(requests.get(1).body());
        assertThat(resolved.get("status").asText()).isEqualTo("resolved");
        assertThat(resolved.get("endsAt").asText()).isEqualTo("2026-12-02T17:00:00Z");
        assertThat(requests.get(1).header("Rotakey-Event-Id")).isNotEqualTo(first.header("Rotakey-Event-Id"));
        assertThat(WebhookSignature.matches(key, NOW.getEpochSecond(), requests.get(1).body(),
                requests.get(1).header("Rotakey-Signature"))).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"500,true", "503,true", "408,true", "429,true", "400,false", "401,false", "404,false", "302,false"})
    void sortsStatusesIntoRetryableOrNot(int status, boolean retryable) throws Exception {
        WebhookSink s = sinkToReceiver(status);

        AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                () -> s.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(e.retryable()).isEqualTo(retryable);
        assertThat(e.getMessage()).isEqualTo("webhook sink 'ops-hook' answered HTTP " + status)
                .doesNotContain(secret);
        assertThat(receiver.requests()).as("a redirect is not followed").hasSize(1);
    }

    @Test
    void aRefusedConnectionIsRetryable() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        WebhookSink s = sink("http://127.0.0.1:" + port + "/alerts", Duration.ofSeconds(5));

        AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                () -> s.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(e.retryable()).isTrue();
        assertThat(e.getMessage()).startsWith("webhook sink 'ops-hook' failed (").doesNotContain(secret);
    }

    @Test
    void aHangingReceiverTimesOutRetryably() throws Exception {
        receiver = new RecordingHttpServer(204);
        receiver.hang();
        WebhookSink s = sink(receiver.url("/alerts"), Duration.ofMillis(300));

        AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                () -> s.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(e.retryable()).isTrue();
        assertThat(e.getMessage()).isEqualTo("webhook sink 'ops-hook' timed out after PT0.3S");
    }

    @Test
    void theSecretIsInNoToStringOrMessage() throws Exception {
        WebhookSink s = sinkToReceiver(401);
        AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                () -> s.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(s.toString()).doesNotContain(secret);
        assertThat(e.getMessage()).doesNotContain(secret);
        assertThat(receiver.requests().get(0).text()).doesNotContain(secret);
    }

    static String hmacHex(byte[] key, String prefix, byte[] body) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
        mac.update(prefix.getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }
}
