package dev.rotakey.targets.webhook;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.config.SecretUnavailableException;
import dev.rotakey.targets.TargetFactory;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.DiscoverableSubtypeResolver;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.dropwizard.util.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code webhook} target's configuration: YAML, defaults, URL and secret validation, discovery. */
class WebhookTargetFactoryTest {
    @TempDir
    Path tmp;

    private final YamlConfigurationFactory<TargetFactory> yaml = new YamlConfigurationFactory<>(
            TargetFactory.class, Validators.newValidator(),
            Jackson.newObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES), "dw");

    private TargetFactory parse(String text) throws IOException, ConfigurationException {
        return yaml.build(path -> new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "target.yml");
    }

    private String secretFile(String content) throws IOException {
        Path file = Files.createTempFile(tmp, "hook", ".key");
        Files.writeString(file, content);
        return file.toString();
    }

    @Test
    void isDiscoverable() {
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes()).contains(WebhookTargetFactory.class);
    }

    /** The sample in docs/targets.md. */
    @Test
    void parsesTheReadmeSample() throws Exception {
        TargetFactory factory = parse("""
                type: webhook
                url: https://billing.internal.example.org/rotakey/events
                verifyUrl: https://billing.internal.example.org/rotakey/verify
                secret: {file: /etc/rotakey/billing-webhook.key}
                timeout: 10s
                maxClockSkew: 5m
                tls:
                  caFile: /etc/rotakey/internal-ca.pem
                  clientCertificateFile: /etc/rotakey/rotakey-client.pem
                  clientKeyFile: /etc/rotakey/rotakey-client-key.pem
                """);

        assertThat(factory).isInstanceOfSatisfying(WebhookTargetFactory.class, f -> {
            assertThat(f.getUrl()).isEqualTo("https://billing.internal.example.org/rotakey/events");
            assertThat(f.getVerifyUrl()).isEqualTo("https://billing.internal.example.org/rotakey/verify");
            assertThat(f.getSecret().getFile()).isEqualTo("/etc/rotakey/billing-webhook.key");
            assertThat(f.getTls().getClientKeyFile()).isEqualTo("/etc/rotakey/rotakey-client-key.pem");
            assertThat(f.getMaxClockSkew()).isEqualTo(Duration.minutes(5));
        });
    }

    @Test
    void defaults() throws Exception {
        WebhookTargetFactory f = (WebhookTargetFactory) parse(
                "type: webhook\nurl: https://hooks.example.org/x\nsecret: {env: HOOK_KEY}\n");

        assertThat(f.getTimeout()).isEqualTo(Duration.seconds(10));
        assertThat(f.getMaxClockSkew()).isEqualTo(Duration.minutes(5));
        assertThat(f.getVerifyUrl()).isNull();
        assertThat(f.isAllowHttp()).isFalse();
        assertThat(f.getTls()).isNull();
    }

    @Test
    void plainHttpIsRefusedUnlessAllowed() throws Exception {
        assertThatThrownBy(() -> parse("type: webhook\nurl: http://hooks.example.org/x\nsecret: {env: HOOK_KEY}\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("url must be an https URL")
                .hasMessageContaining("allowHttp");
        assertThatThrownBy(() -> parse("type: webhook\nurl: https://hooks.example.org/x\n"
                + "verifyUrl: http://hooks.example.org/v\nsecret: {env: HOOK_KEY}\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("verifyUrl must be an https URL");

        WebhookTargetFactory f = (WebhookTargetFactory) parse(
                "type: webhook\nurl: http://127.0.0.1:8080/x\nallowHttp: true\nsecret: {env: HOOK_KEY}\n");
        assertThat(f.getUrl()).isEqualTo("http://127.0.0.1:8080/x");
    }

    @Test
    void otherBadUrlsAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> parse("type: webhook\nurl: ftp://hooks.example.org/x\nsecret: {env: HOOK_KEY}\n"))
                .hasMessageContaining("url must be an https URL");
        assertThatThrownBy(() -> parse("type: webhook\nurl: https:///nohost\nsecret: {env: HOOK_KEY}\n"))
                .hasMessageContaining("url must name a host");
        assertThatThrownBy(() -> parse("type: webhook\nurl: https://user:pw@hooks.example.org/x\nsecret: {env: HOOK_KEY}\n"))
                .hasMessageContaining("url must not carry user info");
        assertThatThrownBy(() -> parse("type: webhook\nurl: https://hooks.example.org/x\n"))
                .hasMessageContaining("secret");
    }

    @Test
    void aSecretShorterThan32BytesFailsTheStart() throws Exception {
        WebhookTargetFactory f = (WebhookTargetFactory) parse("type: webhook\nurl: https://hooks.example.org/x\n"
                + "secret: {file: " + secretFile("0123456789abcdef0123456789abcde\n") + "}\n");

        assertThatThrownBy(() -> f.build("hooks"))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("targets[hooks].secret")
                .hasMessageContaining("at least 32 bytes")
                .hasMessageNotContaining("0123456789abcdef");

        WebhookTargetFactory ok = (WebhookTargetFactory) parse("type: webhook\nurl: https://hooks.example.org/x\n"
                + "secret: {file: " + secretFile("0123456789abcdef0123456789abcdef\n") + "}\n");
        ok.build("hooks").close();
    }
}
