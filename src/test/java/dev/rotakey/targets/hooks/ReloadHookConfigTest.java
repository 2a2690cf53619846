package dev.rotakey.targets.hooks;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.targets.InvalidBindingException;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.DiscoverableSubtypeResolver;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reload hooks as an operator writes them in a target's {@code hooks} map, and what start-up refuses. */
class ReloadHookConfigTest {
    /** Stands in for the local-files target's configuration, which holds the map the same way. */
    @SelfValidating
    public static class Target {
        @Valid
        private Map<String, ReloadHookFactory> hooks = Map.of();

        @JsonProperty
        public Map<String, ReloadHookFactory> getHooks() {
            return hooks;
        }

        @JsonProperty
        public void setHooks(Map<String, ReloadHookFactory> hooks) {
            this.hooks = hooks;
        }

        @SelfValidation
        public void validateHookNames(ViolationCollector violations) {
            ReloadHooks.checkNames(violations, "hooks", hooks);
        }
    }

    private static final YamlConfigurationFactory<Target> YAML = new YamlConfigurationFactory<>(Target.class,
            Validators.newValidator(), Jackson.newObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES),
            "dw");

    private static Target parse(String text) throws IOException, ConfigurationException {
        return YAML.build(path -> new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "rotakey.yml");
    }

    @Test
    void everyHookTypeIsDiscoverable() {
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes())
                .contains(ExecHookFactory.class, SignalHookFactory.class, HttpHookFactory.class);
    }

    /** The sample in docs/hooks-draft.md. */
    @Test
    void parsesTheDocumentedSample() throws Exception {
        Target target = parse("""
                hooks:
                  nginx-reload:
                    type: exec
                    command: [/usr/sbin/nginx, -s, reload]
                    timeout: 30s
                    environment: {NGINX_CONF: /etc/nginx/nginx.conf}
                  nginx-hup:
                    type: signal
                    pidFile: /run/nginx.pid
                    signal: HUP
                  agent-reload:
                    type: http
                    url: https://127.0.0.1:9443/reload
                    method: PUT
                    timeout: 10s
                    token: {file: /etc/rotakey/agent-reload-token}
                    tls:
                      caFile: /etc/rotakey/agent-ca.pem
                      clientCertificateFile: /etc/rotakey/rotakey-client.pem
                      clientKeyFile: /etc/rotakey/rotakey-client-key.pem
                """);

        assertThat(target.getHooks().get("nginx-reload")).isInstanceOfSatisfying(ExecHookFactory.class, f -> {
            assertThat(f.getCommand()).containsExactly("/usr/sbin/nginx", "-s", "reload");
            assertThat(f.getEnvironment()).containsExactly(Map.entry("NGINX_CONF", "/etc/nginx/nginx.conf"));
        });
        assertThat(target.getHooks().get("nginx-hup")).isInstanceOfSatisfying(SignalHookFactory.class,
                f -> assertThat(f.getPidFile()).isEqualTo("/run/nginx.pid"));
        assertThat(target.getHooks().get("agent-reload")).isInstanceOfSatisfying(HttpHookFactory.class, f -> {
            assertThat(f.getMethod()).isEqualTo("PUT");
            assertThat(f.getToken().getFile()).isEqualTo("/etc/rotakey/agent-reload-token");
            assertThat(f.getTls().getClientKeyFile()).isEqualTo("/etc/rotakey/rotakey-client-key.pem");
        });
    }

    @Test
    void defaults() throws Exception {
        Target target = parse("""
                hooks:
                  a: {type: exec, command: [/usr/sbin/nginx]}
                  b: {type: signal, pidFile: /run/nginx.pid}
                  c: {type: http, url: "https://127.0.0.1:9443/reload"}
                """);

        ExecHookFactory exec = (ExecHookFactory) target.getHooks().get("a");
        assertThat(exec.getTimeout()).isEqualTo(Duration.seconds(30));
        assertThat(exec.getEnvironment()).isEmpty();
        assertThat(((SignalHookFactory) target.getHooks().get("b")).getSignal()).isEqualTo("HUP");
        HttpHookFactory http = (HttpHookFactory) target.getHooks().get("c");
        assertThat(http.getMethod()).isEqualTo("POST");
        assertThat(http.getTimeout()).isEqualTo(Duration.seconds(10));
        assertThat(http.isAllowHttp()).isFalse();
        assertThat(http.getToken()).isNull();
    }

    @Test
    void refusesAProgramThatIsNotAnAbsolutePath() {
        for (String command : List.of("[nginx, -s, reload]", "[./nginx]", "[bin/nginx]", "[]")) {
            assertThatThrownBy(() -> parse("hooks:\n  h: {type: exec, command: " + command + "}\n"))
                    .as(command).isInstanceOf(ConfigurationException.class).hasMessageContaining("hooks[h].command");
        }
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: exec}\n")).hasMessageContaining("command");
    }

    @Test
    void refusesEnvironmentThatWouldOverrideTheDeliveryOrIsNoName() {
        assertThatThrownBy(() -> parse("""
                hooks:
                  h: {type: exec, command: [/bin/true], environment: {ROTAKEY_PATH: /etc/shadow}}
                """)).hasMessageContaining("ROTAKEY_PATH").hasMessageContaining("is set by Rotakey itself");
        assertThatThrownBy(() -> parse("""
                hooks:
                  h: {type: exec, command: [/bin/true], environment: {"A=B": x}}
                """)).hasMessageContaining("environment");
    }

    @Test
    void refusesNonPositiveTimeouts() {
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: exec, command: [/bin/true], timeout: 0s}\n"))
                .hasMessageContaining("timeout must be positive");
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: http, url: \"https://a.example\", timeout: 0ms}\n"))
                .hasMessageContaining("timeout must be positive");
    }

    @Test
    void refusesSignalsOutsideTheAllowedSet() {
        for (String signal : List.of("KILL", "STOP", "9", "SIGHUP", "hup-ish")) {
            assertThatThrownBy(() -> parse("hooks:\n  h: {type: signal, pidFile: /run/x.pid, signal: " + signal + "}\n"))
                    .as(signal).hasMessageContaining("signal must be one of HUP, USR1, USR2, TERM, INT, QUIT, WINCH");
        }
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: signal, pidFile: run/x.pid}\n"))
                .hasMessageContaining("pidFile must be an absolute path");
    }

    @Test
    void refusesPlainHttpUnlessAllowedAndUserInfoAlways() throws Exception {
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: http, url: \"http://127.0.0.1:9000/reload\"}\n"))
                .hasMessageContaining("url must be an https URL (set allowHttp: true");
        parse("hooks:\n  h: {type: http, url: \"http://127.0.0.1:9000/reload\", allowHttp: true}\n");
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: http, url: \"https://u:p@127.0.0.1/reload\"}\n"))
                .hasMessageContaining("must not carry user info").hasMessageNotContaining("u:p");
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: http, url: \"ftp://127.0.0.1/reload\", allowHttp: true}\n"))
                .hasMessageContaining("url must be an https URL");
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: http, url: \"https://a.example\", method: GET}\n"))
                .hasMessageContaining("method must be POST or PUT");
    }

    @Test
    void refusesATokenWrittenIntoTheConfig() {
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: http, url: \"https://a.example\", token: hunter2-token}\n"))
                .hasMessageNotContaining("hunter2-token");
    }

    @Test
    void refusesUnknownTypesAndBadNames() {
        assertThatThrownBy(() -> parse("hooks:\n  h: {type: shell, command: \"nginx -s reload\"}\n"))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> parse("hooks:\n  Nginx Reload: {type: exec, command: [/bin/true]}\n"))
                .hasMessageContaining("must be a name of 1 to 64 of a-z, 0-9, '_' and '-'");
        assertThatThrownBy(() -> parse("hooks:\n  nginx-reload:\n")).hasMessageContaining("must have a type");
    }

    @Test
    void aBindingMayNameOnlyAConfiguredHook() throws Exception {
        ReloadHooks hooks = ReloadHooks.build("files", parse("""
                hooks:
                  nginx-reload: {type: exec, command: [/usr/sbin/nginx, -s, reload]}
                  nginx-hup: {type: signal, pidFile: /run/nginx.pid}
                """).getHooks());

        assertThat(hooks.names()).containsExactly("nginx-hup", "nginx-reload");
        assertThat(hooks.require("reloadHook", "nginx-reload").name()).isEqualTo("nginx-reload");
        assertThat(hooks.find("nginx-hup")).isPresent();
        assertThatThrownBy(() -> hooks.require("reloadHook", "/bin/sh"))
                .isInstanceOfSatisfying(InvalidBindingException.class,
                        e -> assertThat(e.parameter()).isEqualTo("reloadHook"))
                .hasMessage("reloadHook names no hook of target 'files'; it has [nginx-hup, nginx-reload]");
        assertThatThrownBy(() -> ReloadHooks.none().require("reloadHook", "x")).hasMessageContaining("(it has none)");
        assertThat(ReloadHooks.build("files", null).isEmpty()).isTrue();
    }

    @Test
    void theContextRefusesAnUnknownStageOrARelativePath() {
        assertThatThrownBy(() -> new HookContext("t", "a", "c", 1, "revoked", java.nio.file.Path.of("/x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HookContext("t", "a", "c", 1, HookContext.PROMOTED, java.nio.file.Path.of("x")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
