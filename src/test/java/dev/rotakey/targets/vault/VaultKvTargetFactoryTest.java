package dev.rotakey.targets.vault;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetFactory;
import dev.rotakey.vault.VaultAuthFactory;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationValidationException;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code vault-kv} target's configuration: YAML, defaults, validation of mount and prefix, discovery. */
class VaultKvTargetFactoryTest {
    @TempDir
    Path tmp;

    private final YamlConfigurationFactory<TargetFactory> yaml = new YamlConfigurationFactory<>(
            TargetFactory.class, Validators.newValidator(),
            Jackson.newObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES), "dw");

    private TargetFactory parse(String text) throws IOException, ConfigurationException {
        return yaml.build(path -> new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "target.yml");
    }

    private String config(String extra) throws IOException {
        Path token = tmp.resolve("token");
        Files.writeString(token, "s.not-a-real-token");
        return "type: vault-kv\naddress: https://vault.example.org:8200\nauth:\n  method: token\n  token:\n    file: "
                + token + "\n" + extra;
    }

    @Test
    void isDiscoverable() {
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes()).contains(VaultKvTargetFactory.class);
    }

    @Test
    void parsesTheConnectionMountAndPrefix() throws Exception {
        TargetFactory factory = parse(config("mount: kv-agents\npathPrefix: rotakey/prod\nnamespace: team-a\n"));

        assertThat(factory).isInstanceOfSatisfying(VaultKvTargetFactory.class, f -> {
            assertThat(f.getAddress()).isEqualTo("https://vault.example.org:8200");
            assertThat(f.getNamespace()).isEqualTo("team-a");
            assertThat(f.getAuth().getMethod()).isEqualTo(VaultAuthFactory.Method.TOKEN);
            assertThat(f.getMount()).isEqualTo("kv-agents");
            assertThat(f.getPathPrefix()).isEqualTo("rotakey/prod");
        });
    }

    /** The sample in docs/targets.md. */
    @Test
    void parsesTheReadmeSampleWithAppRole() throws Exception {
        TargetFactory factory = parse("type: vault-kv\naddress: https://vault.example.org:8200\n"
                + "auth: {method: approle, roleId: rotakey, secretId: {file: /etc/rotakey/vault-secret-id}}\n"
                + "mount: secret\npathPrefix: rotakey\n");

        assertThat(factory).isInstanceOfSatisfying(VaultKvTargetFactory.class, f -> {
            assertThat(f.getAuth().getMethod()).isEqualTo(VaultAuthFactory.Method.APPROLE);
            assertThat(f.getAuth().getRoleId()).isEqualTo("rotakey");
            assertThat(f.getPathPrefix()).isEqualTo("rotakey");
        });
    }

    @Test
    void theMountDefaultsToSecretAndThePrefixToNone() throws Exception {
        VaultKvTargetFactory factory = (VaultKvTargetFactory) parse(config(""));

        assertThat(factory.getMount()).isEqualTo("secret");
        assertThat(factory.getPathPrefix()).isNull();
    }

    @Test
    void refusesUnsafeMountsAndPrefixes() {
        assertThatThrownBy(() -> parse(config("mount: /secret\n")))
                .isInstanceOf(ConfigurationValidationException.class).hasMessageContaining("mount");
        assertThatThrownBy(() -> parse(config("pathPrefix: a/../b\n")))
                .isInstanceOf(ConfigurationValidationException.class).hasMessageContaining("pathPrefix");
    }

    @Test
    void requiresTheConnection() {
        assertThatThrownBy(() -> parse("type: vault-kv\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("address")
                .hasMessageContaining("auth");
    }

    @Test
    void refusesUnknownKeys() {
        assertThatThrownBy(() -> parse(config("mout: kv\n")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("mout");
    }

    @Test
    void buildsWithoutContactingVault() throws Exception {
        VaultKvTargetFactory factory = (VaultKvTargetFactory) parse(config(""));

        try (Target target = factory.build("kv")) {
            assertThat(target.name()).isEqualTo("kv");
            assertThat(target.type()).isEqualTo("vault-kv");
            assertThat(target.toString()).doesNotContain("s.not-a-real-token");
        }
    }
}
