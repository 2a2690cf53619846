package dev.rotakey.alert.sink;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.alert.AlertSinkFactory;
import dev.rotakey.config.AlertingFactory;
import dev.rotakey.config.SecretUnavailableException;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.DiscoverableSubtypeResolver;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The five sinks' configuration as an operator writes it under {@code alerting.sinks}: discovery by
 * {@code type}, the documented samples, defaults, and start-up messages that name the wrong key.
 */
class AlertSinkConfigTest {
    @TempDir
    Path tmp;

    private static final YamlConfigurationFactory<AlertingFactory> YAML = new YamlConfigurationFactory<>(
            AlertingFactory.class, Validators.newValidator(),
            Jackson.newObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES), "dw");

    private AlertingFactory parse(String text) throws IOException, ConfigurationException {
        return YAML.build(path -> new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "rotakey.yml");
    }

    /** One sink named {@code s} with this YAML body, indented under {@code sinks:}. */
    private AlertSinkFactory sink(String body) throws IOException, ConfigurationException {
        return parse("sinks:\n  s:\n" + body.indent(4)).getSinks().get("s");
    }

    @Test
    void everySinkTypeIsDiscoverable() {
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes()).contains(WebhookSinkFactory.class,
                AlertmanagerSinkFactory.class, SlackSinkFactory.class, PagerDutySinkFactory.class, EmailSinkFactory.class);
    }

    /** The samples given in docs/alerts.md, all in one {@code alerting:} section. */
    @Test
    void parsesTheSamples() throws Exception {
        AlertingFactory alerting = parse("""
                sinks:
                  ops-webhook:
                    type: webhook
                    url: https://alerts.internal.example.org/rotakey
                    secret: {file: /etc/rotakey/alert-webhook.key}
                    timeout: PT5S
                  alertmanager:
                    type: alertmanager
                    url: http://127.0.0.1:9093
                    resolveTimeout: PT12H
                    generatorUrl: https://rotakey.internal.example.org/api/v1/alerts
                  team-slack:
                    type: slack
                    url: {credential: slack-webhook-url}
                    channel: "#rotakey-alerts"
                  pager:
                    type: pagerduty
                    routingKey: {env: PAGERDUTY_ROUTING_KEY}
                    source: rotakey-prod
                  mail:
                    type: email
                    host: smtp.example.org
                    port: 587
                    security: starttls
                    username: rotakey
                    password: {file: /etc/rotakey/smtp-password}
                    from: rotakey@example.org
                    to: [platform-oncall@example.org]
                    tls: {caFile: /etc/rotakey/internal-ca.pem}
                """);

        assertThat(alerting.getSinks().get("ops-webhook")).isInstanceOfSatisfying(WebhookSinkFactory.class, f -> {
            assertThat(f.getSecret().getFile()).isEqualTo("/etc/rotakey/alert-webhook.key");
            assertThat(f.getTimeout()).isEqualTo(Duration.ofSeconds(5));
        });
        assertThat(alerting.getSinks().get("alertmanager")).isInstanceOfSatisfying(AlertmanagerSinkFactory.class,
                f -> assertThat(f.getResolveTimeout()).isEqualTo(Duration.ofHours(12)));
        assertThat(alerting.getSinks().get("team-slack")).isInstanceOfSatisfying(SlackSinkFactory.class,
                f -> assertThat(f.getUrl().getCredential()).isEqualTo("slack-webhook-url"));
        assertThat(alerting.getSinks().get("pager")).isInstanceOfSatisfying(PagerDutySinkFactory.class, f -> {
            assertThat(f.getUrl()).isEqualTo("https://events.pagerduty.com/v2/enqueue");
            assertThat(f.getSource()).isEqualTo("rotakey-prod");
        });
        assertThat(alerting.getSinks().get("mail")).isInstanceOfSatisfying(EmailSinkFactory.class, f -> {
            assertThat(f.getSecurity()).isEqualTo(EmailSinkFactory.Security.STARTTLS);
            assertThat(f.getTo()).containsExactly("platform-oncall@example.org");
            assertThat(f.getTls().getCaFile()).isEqualTo("/etc/rotakey/internal-ca.pem");
        });
    }

    @Test
    void defaults() throws Exception {
        WebhookSinkFactory webhook = (WebhookSinkFactory) sink("type: webhook\nurl: https://h.example.org/x\nsecret: {env: K}");
        assertThat(webhook.getTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(webhook.isAllowHttp()).isFalse();
        AlertmanagerSinkFactory am = (AlertmanagerSinkFactory) sink("type: alertmanager\nurl: http://127.0.0.1:9093");
        assertThat(am.getResolveTimeout()).isEqualTo(Duration.ofHours(12));
        assertThat(am.getTimeout()).isEqualTo(Duration.ofSeconds(10));
        PagerDutySinkFactory pd = (PagerDutySinkFactory) sink("type: pagerduty\nroutingKey: {env: K}");
        assertThat(pd.getSource()).isEqualTo("rotakey");
        EmailSinkFactory mail = (EmailSinkFactory) sink("type: email\nhost: smtp.example.org\nfrom: a@example.org\nto: [b@example.org]");
        assertThat(mail.getPort()).isEqualTo(587);
        assertThat(mail.getSubjectPrefix()).isEqualTo("[rotakey]");
        assertThat(mail.getTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void webhookMistakesNameTheKey() throws Exception {
        assertThatThrownBy(() -> sink("type: webhook\nurl: http://h.example.org/x\nsecret: {env: K}"))
                .hasMessageContaining("sinks[s].url must be an https URL").hasMessageContaining("allowHttp");
        assertThatThrownBy(() -> sink("type: webhook\nurl: https://h.example.org/x"))
                .hasMessageContaining("sinks[s].secret");
        assertThatThrownBy(() -> sink("type: webhook\nurl: https://h.example.org/x\nsecret: {env: K}\ntimeout: PT0S"))
                .hasMessageContaining("sinks[s].timeout must be positive");
        assertThatThrownBy(() -> sink("type: webhook\nurl: https://h.example.org/x\nsecret: {env: K}\nsecrett: x"))
                .hasMessageContaining("secrett");
        assertThatThrownBy(() -> sink("type: webhook\nurl: https://h.example.org/x\nsecret: a-literal-secret"))
                .as("a secret is never a literal").hasMessageContaining("sinks.s.secret");

        Path shortKey = Files.writeString(tmp.resolve("short.key"), "0123456789abcdef0123456789abcde\n");
        WebhookSinkFactory f = (WebhookSinkFactory) sink("type: webhook\nurl: https://h.example.org/x\nsecret: {file: " + shortKey + "}");
        assertThatThrownBy(() -> f.build("ops-hook"))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("alerting.sinks[ops-hook].secret: must be at least 32 bytes")
                .hasMessageNotContaining("0123456789abcdef");
    }

    @Test
    void alertmanagerMistakesNameTheKey() {
        assertThatThrownBy(() -> sink("type: alertmanager\nurl: ftp://127.0.0.1:9093"))
                .hasMessageContaining("sinks[s].url must be an https URL");
        assertThatThrownBy(() -> sink("type: alertmanager\nurl: http://127.0.0.1:9093\nresolveTimeout: PT1M"))
                .hasMessageContaining("sinks[s].resolveTimeout must be at least PT5M");
        assertThatThrownBy(() -> sink("type: alertmanager\nurl: http://127.0.0.1:9093\nbearerToken: {env: T}\n"
                + "basicAuth: {username: u, password: {env: P}}"))
                .hasMessageContaining("sinks[s].bearerToken cannot be combined with basicAuth");
        assertThatThrownBy(() -> sink("type: alertmanager\nurl: http://127.0.0.1:9093\nbasicAuth: {username: u}"))
                .hasMessageContaining("sinks[s].basicAuth.password");
        assertThatThrownBy(() -> sink("type: alertmanager\nurl: http://127.0.0.1:9093\nbearerToken: {env: T, file: /x}"))
                .hasMessageContaining("sinks[s].bearerToken must name exactly one of");
    }

    @Test
    void slackMistakesNameTheKey() throws Exception {
        assertThatThrownBy(() -> sink("type: slack\nurl: https://hooks.slack.com/services/T0/B0/secrettoken"))
                .as("the webhook URL is a secret: no literal").hasMessageContaining("sinks.s.url");
        assertThatThrownBy(() -> sink("type: slack")).hasMessageContaining("sinks[s].url");
        assertThatThrownBy(() -> sink("type: slack\nurl: {env: U}\nchannel: \"#bad channel!\""))
                .hasMessageContaining("sinks[s].channel must be a channel name");

        SlackSinkFactory missing = (SlackSinkFactory) sink("type: slack\nurl: {file: " + tmp.resolve("absent") + "}");
        assertThatThrownBy(() -> missing.build("team-slack"))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("alerting.sinks[team-slack].url: cannot read secret file");
    }

    @Test
    void pagerDutyMistakesNameTheKey() throws Exception {
        assertThatThrownBy(() -> sink("type: pagerduty")).hasMessageContaining("sinks[s].routingKey");
        assertThatThrownBy(() -> sink("type: pagerduty\nroutingKey: {env: K}\nurl: http://127.0.0.1:1/v2/enqueue"))
                .hasMessageContaining("sinks[s].url must be an https URL");
        assertThatThrownBy(() -> sink("type: pagerduty\nroutingKey: {env: K}\nsource: \"\""))
                .hasMessageContaining("sinks[s].source");

        PagerDutySinkFactory unset = (PagerDutySinkFactory) sink("type: pagerduty\nroutingKey: {env: ROTAKEY_TEST_UNSET_VARIABLE}");
        assertThatThrownBy(() -> unset.build("pager"))
                .hasMessageContaining("alerting.sinks[pager].routingKey: environment variable ROTAKEY_TEST_UNSET_VARIABLE");
    }

    @Test
    void emailMistakesNameTheKey() {
        String base = "type: email\nhost: smtp.example.org\nfrom: rotakey@example.org\n";
        assertThatThrownBy(() -> sink(base + "to: []")).hasMessageContaining("sinks[s].to");
        assertThatThrownBy(() -> sink(base + "to: [ok@example.org, not-an-address]"))
                .hasMessageContaining("sinks[s].to[1] is not an e-mail address");
        assertThatThrownBy(() -> sink("type: email\nhost: smtp.example.org\nfrom: nobody\nto: [a@example.org]"))
                .hasMessageContaining("sinks[s].from is not an e-mail address");
        assertThatThrownBy(() -> sink(base + "to: [a@example.org]\nsecurity: none"))
                .hasMessageContaining("sinks[s].security none sends alerts").hasMessageContaining("allowInsecure");
        assertThatThrownBy(() -> sink(base + "to: [a@example.org]\nsecurity: ssl3"))
                .hasMessageContaining("sinks.s.security");
        assertThatThrownBy(() -> sink(base + "to: [a@example.org]\nusername: rotakey"))
                .hasMessageContaining("sinks[s].password must be set together with username");
        assertThatThrownBy(() -> sink(base + "to: [a@example.org]\nport: 70000"))
                .hasMessageContaining("sinks[s].port");
        assertThatThrownBy(() -> sink(base + "to: [a@example.org]\ntls: {verify: false}"))
                .hasMessageContaining("sinks[s].tls.verify false accepts any server");
    }

    @Test
    void plainSmtpNeedsAllowInsecure() throws Exception {
        EmailSinkFactory f = (EmailSinkFactory) sink("type: email\nhost: 127.0.0.1\nport: 2525\nsecurity: none\n"
                + "allowInsecure: true\nfrom: rotakey@example.org\nto: [a@example.org]");
        assertThat(f.getSecurity()).isEqualTo(EmailSinkFactory.Security.NONE);
        assertThat(f.build("mail").type()).isEqualTo("email");
    }

    @Test
    void anUnknownTypeIsRefused() {
        assertThatThrownBy(() -> sink("type: carrier-pigeon\nurl: x")).hasMessageContaining("carrier-pigeon");
    }

    @Test
    void everyTypeBuildsASinkThatSaysWhatItIs() throws Exception {
        Path key = Files.writeString(tmp.resolve("k"), "0123456789abcdef0123456789abcdef\n");
        Path url = Files.writeString(tmp.resolve("u"), "https://hooks.slack.com/services/T0/B0/secret\n");
        for (var c : List.of(
                List.of("webhook", "type: webhook\nurl: https://h.example.org/x\nsecret: {file: " + key + "}"),
                List.of("alertmanager", "type: alertmanager\nurl: http://127.0.0.1:9093"),
                List.of("slack", "type: slack\nurl: {file: " + url + "}"),
                List.of("pagerduty", "type: pagerduty\nroutingKey: {file: " + key + "}"),
                List.of("email", "type: email\nhost: smtp.example.org\nfrom: a@example.org\nto: [b@example.org]"))) {
            try (var built = sink(c.get(1)).build("n-" + c.get(0))) {
                assertThat(built.type()).isEqualTo(c.get(0));
                assertThat(built.name()).isEqualTo("n-" + c.get(0));
                assertThat(built.toString()).doesNotContain("0123456789abcdef").doesNotContain("/secret");
            }
        }
    }
}
