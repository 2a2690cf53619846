package dev.rotakey.alert.sink;

import dev.rotakey.testing.RecordingHttpServer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.config.SecretSource;
import dev.rotakey.testing.AlertmanagerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** The {@code alertmanager} sink against the machine's real Alertmanager. */
class AlertmanagerSinkIT {
    private static AlertmanagerProcess alertmanager;

    @TempDir
    Path tmp;

    /** Alertmanager judges endsAt by its own clock, so the sink's clock is the real time, fixed for the test. */
    private final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @BeforeAll
    static void start() {
        alertmanager = AlertmanagerProcess.start();
    }

    @AfterAll
    static void stop() {
        if (alertmanager != null) {
            alertmanager.close();
        }
    }

    private AlertmanagerSink sink() {
        AlertmanagerSinkFactory f = new AlertmanagerSinkFactory();
        f.setUrl(alertmanager.baseUrl());
        f.setGeneratorUrl("http://127.0.0.1:8080/api/v1/alerts");
        return f.build("am", Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void aFiringAlertAppearsOnceWithItsLabelsAndAnnotationsAndGoesWhenResolved() throws Exception {
        AlertmanagerSink sink = sink();
        Alert firing = SampleAlerts.rotationFailed("am-firing-api", now.minusSeconds(120));
        String matcher = "credential=\"am-firing-api\"";

        sink.send(firing);

        await().atMost(Duration.ofSeconds(10)).until(() -> alertmanager.alerts(matcher).size() == 1);
        JsonNode alert = alertmanager.alerts(matcher).get(0);
        JsonNode labels = alert.get("labels");
        assertThat(labels.get("alertname").asText()).isEqualTo("RotakeyRotationFailed");
        assertThat(labels.get("severity").asText()).isEqualTo("critical");
        assertThat(labels.get("owner").asText()).isEqualTo("team-billing@example.com");
        assertThat(labels.get("agent").asText()).isEqualTo("billing-agent");
        assertThat(labels.get("credential").asText()).isEqualTo("am-firing-api");
        assertThat(labels.get("backend").asText()).isEqualTo("hsm");
        JsonNode annotations = alert.get("annotations");
        assertThat(annotations.get("summary").asText()).isEqualTo("Rotation of am-firing-api failed");
        assertThat(annotations.get("description").asText()).startsWith("Rotation 42 failed after 5 attempts");
        assertThat(annotations.get("fingerprint").asText()).isEqualTo("rotation-failed:am-firing-api");
        assertThat(Instant.parse(alert.get("startsAt").asText())).isEqualTo(now.minusSeconds(120));
        assertThat(Instant.parse(alert.get("endsAt").asText()))
                .as("Alertmanager resolves it by itself if Rotakey stops repeating it").isEqualTo(now.plus(Duration.ofHours(12)));
        assertThat(alert.get("generatorURL").asText()).isEqualTo("http://127.0.0.1:8080/api/v1/alerts");
        assertThat(alert.at("/status/state").asText()).isIn("active", "unprocessed");

        sink.send(firing);
        sink.send(firing);
        assertThat(alertmanager.alerts(matcher)).as("a repeat updates the same alert").hasSize(1);
        assertThat(alertmanager.alerts("alertname=\"RotakeyRotationFailed\"", matcher)).hasSize(1);

        sink.send(firing.resolvedAt(now.minusSeconds(1)));

        await().atMost(Duration.ofSeconds(10)).until(() -> alertmanager.alerts(matcher).isEmpty());
    }

    @Test
    void anAlertAboutRotakeyItselfCarriesNoEmptyLabels() throws Exception {
        AlertmanagerSink sink = sink();

        sink.send(SampleAlerts.backendUnhealthy(now.minusSeconds(30)));

        String matcher = "alertname=\"RotakeyKeyBackendUnhealthy\"";
        await().atMost(Duration.ofSeconds(10)).until(() -> alertmanager.alerts(matcher).size() == 1);
        JsonNode labels = alertmanager.alerts(matcher).get(0).get("labels");
        assertThat(labels.get("owner").asText()).isEqualTo("rotakey-operators");
        assertThat(labels.get("backend").asText()).isEqualTo("vault");
        assertThat(labels.has("agent")).isFalse();
    }

    @Test
    void aWrongPathIsNotRetriedAndAnUnreachableAlertmanagerIs() {
        AlertmanagerSinkFactory wrong = new AlertmanagerSinkFactory();
        wrong.setUrl(alertmanager.baseUrl() + "/no-such-prefix");
        AlertDeliveryException notFound = catchThrowableOfType(AlertDeliveryException.class,
                () -> wrong.build("am").send(SampleAlerts.rotationFailed("x", now)));
        assertThat(notFound.retryable()).isFalse();
        assertThat(notFound.getMessage()).isEqualTo("alertmanager sink 'am' answered HTTP 404");

        AlertmanagerSinkFactory down = new AlertmanagerSinkFactory();
        down.setUrl("http://127.0.0.1:1");
        AlertDeliveryException refused = catchThrowableOfType(AlertDeliveryException.class,
                () -> down.build("am").send(SampleAlerts.rotationFailed("x", now)));
        assertThat(refused.retryable()).isTrue();
    }

    @Test
    void sendsTheBearerTokenButNeverShowsIt() throws Exception {
        String token = "am-token-0123456789abcdef";
        Path file = Files.writeString(tmp.resolve("am.token"), token + "\n");
        try (RecordingHttpServer proxy = new RecordingHttpServer(200)) {
            AlertmanagerSinkFactory f = new AlertmanagerSinkFactory();
            f.setUrl(proxy.url("/"));
            f.setBearerToken(SecretSource.fromFile(file.toString()));
            AlertmanagerSink sink = f.build("am", Clock.fixed(now, ZoneOffset.UTC));

            sink.send(SampleAlerts.rotationFailed("billing-agent-api", now));
            proxy.answer(403);
            AlertDeliveryException e = catchThrowableOfType(AlertDeliveryException.class,
                    () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", now)));

            assertThat(proxy.requests().get(0).path()).isEqualTo("/api/v2/alerts");
            assertThat(proxy.requests().get(0).header("Authorization")).isEqualTo("Bearer " + token);
            assertThat(proxy.requests().get(0).text()).doesNotContain(token);
            assertThat(e.retryable()).isFalse();
            assertThat(e.getMessage()).doesNotContain(token);
            assertThat(sink.toString()).doesNotContain(token);
            assertThat(f.toString()).doesNotContain(token);
        }
    }

    @Test
    void basicAuthIsSentAsSuch() throws Exception {
        Path file = Files.writeString(tmp.resolve("am.password"), "s3cret-password\n");
        try (RecordingHttpServer proxy = new RecordingHttpServer(200)) {
            AlertmanagerSinkFactory f = new AlertmanagerSinkFactory();
            f.setUrl(proxy.url(""));
            AlertmanagerSinkFactory.BasicAuth auth = new AlertmanagerSinkFactory.BasicAuth();
            auth.setUsername("rotakey");
            auth.setPassword(SecretSource.fromFile(file.toString()));
            f.setBasicAuth(auth);
            AlertmanagerSink sink = f.build("am", Clock.fixed(now, ZoneOffset.UTC));

            sink.send(SampleAlerts.rotationFailed("billing-agent-api", now));

            assertThat(proxy.requests().get(0).header("Authorization"))
                    .isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString("rotakey:s3cret-password".getBytes()));
            assertThat(sink.toString()).doesNotContain("s3cret");
        }
    }
}
