package dev.rotakey.alert.sink;

import dev.rotakey.testing.RecordingHttpServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.alert.Alert;
import dev.rotakey.alert.AlertDeliveryException;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.SecretUnavailableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The {@code slack} sink against a loopback server standing in for Slack's incoming webhook. */
class SlackSinkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-02T17:00:00Z");
    /** The part of a Slack webhook URL that is the secret. */
    private static final String TOKEN_PATH = "/services/T0001/B0002/XXXXsecretXXXXtokenXXXX";

    @TempDir
    Path tmp;

    private RecordingHttpServer slack;

    @BeforeEach
    void start() throws Exception {
        slack = new RecordingHttpServer(200);
    }

    @AfterEach
    void stop() {
        slack.close();
    }

    private SlackSinkFactory factory(String url) throws Exception {
        Path file = Files.writeString(tmp.resolve("slack.url"), url + "\n");
        SlackSinkFactory f = new SlackSinkFactory();
        f.setUrl(SecretSource.fromFile(file.toString()));
        f.setAllowHttp(true);
        f.setChannel("#rotakey-alerts");
        return f;
    }

    @Test
    void postsATextLineAndBlocksWithTheLabels() throws Exception {
        AlertSink sink = factory(slack.url(TOKEN_PATH)).build("team-slack");
        Alert alert = SampleAlerts.rotationFailed("billing-agent-api", NOW);

        sink.send(alert);
        sink.send(alert.resolvedAt(NOW.plusSeconds(60)));

        RecordingHttpServer.Request firing = slack.requests().get(0);
        assertThat(firing.path()).isEqualTo(TOKEN_PATH);
        JsonNode body = JSON.readTree(firing.body());
        assertThat(body.get("channel").asText()).isEqualTo("#rotakey-alerts");
        assertThat(body.get("text").asText()).isEqualTo(":rotating_light: [FIRING] RotakeyRotationFailed — "
                + "Rotation of billing-agent-api failed (owner team-billing@example.com)");
        JsonNode blocks = body.get("blocks");
        assertThat(blocks.get(0).at("/text/text").asText())
                .isEqualTo("*:rotating_light: [FIRING] RotakeyRotationFailed*\nRotation of billing-agent-api failed");
        assertThat(blocks.get(1).get("fields")).hasSize(6);
        assertThat(blocks.get(1).get("fields").get(3).get("text").asText()).isEqualTo("*agent*\nbilling-agent");
        assertThat(blocks.get(2).at("/text/text").asText()).startsWith("Rotation 42 failed after 5 attempts");

        JsonNode resolved = JSON.readTree(slack.requests().get(1).body());
        assertThat(resolved.get("text").asText()).startsWith(":white_check_mark: [RESOLVED] RotakeyRotationFailed — ");
    }

    @Test
    void slackMarkupInValuesIsEscaped() throws Exception {
        AlertSink sink = factory(slack.url(TOKEN_PATH)).build("team-slack");
        Alert alert = SampleAlerts.rotationFailed("<!channel>&co", NOW);

        sink.send(alert);

        String text = JSON.readTree(slack.requests().get(0).body()).get("text").asText();
        assertThat(text).contains("&lt;!channel&gt;&amp;co").doesNotContain("<!channel>");
    }

    @Test
    void theWebhookUrlIsInNoMessageAndNoToString() throws Exception {
        SlackSinkFactory f = factory(slack.url(TOKEN_PATH));
        AlertSink sink = f.build("team-slack");
        slack.answer(404, 500);

        AlertDeliveryException gone = catchThrowableOfType(AlertDeliveryException.class,
                () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));
        AlertDeliveryException down = catchThrowableOfType(AlertDeliveryException.class,
                () -> sink.send(SampleAlerts.rotationFailed("billing-agent-api", NOW)));

        assertThat(gone.getMessage()).isEqualTo("slack sink 'team-slack' answered HTTP 404");
        assertThat(gone.retryable()).isFalse();
        assertThat(down.retryable()).isTrue();
        for (String s : new String[]{gone.getMessage(), down.getMessage(), sink.toString(), f.toString()}) {
            assertThat(s).doesNotContain("secret").doesNotContain("T0001").doesNotContain("127.0.0.1");
        }
    }

    @Test
    void aBadUrlInTheSecretFailsTheStartWithoutQuotingIt() throws Exception {
        SlackSinkFactory plain = factory(slack.url(TOKEN_PATH));
        plain.setAllowHttp(false);

        assertThatThrownBy(() -> plain.build("team-slack"))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("alerting.sinks[team-slack].url")
                .hasMessageContaining("must be an https URL")
                .hasMessageNotContaining("XXXXsecret");

        assertThatThrownBy(() -> factory("not a url XXXXsecret").build("team-slack"))
                .hasMessageContaining("alerting.sinks[team-slack].url")
                .hasMessageNotContaining("XXXXsecret");
    }
}
