package dev.rotakey.backend.pkcs11;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendFactory;
import dev.rotakey.config.SecretSource;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.DiscoverableSubtypeResolver;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code type: pkcs11} configuration as Dropwizard reads and validates it. */
class Pkcs11KeyBackendFactoryIT {

    /** The shape of Rotakey's configuration around key backends. */
    public static class BackendsConfig {
        @Valid
        @NotNull
        @JsonProperty
        public Map<String, KeyBackendFactory> keyBackends;
    }

    private static BackendsConfig parse(String yaml) throws Exception {
        YamlConfigurationFactory<BackendsConfig> factory = new YamlConfigurationFactory<>(BackendsConfig.class,
                Validators.newValidator(), Jackson.newObjectMapper(), "dw");
        return factory.build(path -> new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "rotakey.yml");
    }

    @Test
    void parsesFromYamlWithTheDefaultKeyLabel() throws Exception {
        BackendsConfig config = parse("""
                keyBackends:
                  hsm:
                    type: pkcs11
                    library: /usr/lib/softhsm/libsofthsm2.so
                    tokenLabel: rotakey-test
                    pin:
                      file: %s
                """.formatted(SoftHsmTokens.pinFile()));

        assertThat(config.keyBackends.get("hsm")).isInstanceOfSatisfying(Pkcs11KeyBackendFactory.class, f -> {
            assertThat(f.getLibrary()).isEqualTo("/usr/lib/softhsm/libsofthsm2.so");
            assertThat(f.getTokenLabel()).isEqualTo("rotakey-test");
            assertThat(f.getPin().getFile()).isEqualTo(SoftHsmTokens.pinFile().toString());
            assertThat(f.getHmacKeyLabel()).isEqualTo("rotakey-hmac-v1");
        });
    }

    @Test
    void aBackendBuiltFromYamlStarts() throws Exception {
        SoftHsmTokens.ensure();
        BackendsConfig config = parse("""
                keyBackends:
                  hsm:
                    type: pkcs11
                    library: %s
                    tokenLabel: rotakey-test
                    pin: {file: %s}
                    hmacKeyLabel: rotakey-hmac-v1
                """.formatted(SoftHsmTokens.library(), SoftHsmTokens.pinFile()));

        try (KeyBackend backend = config.keyBackends.get("hsm").build("hsm")) {
            backend.start();
            assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
            assertThat(backend.hmacKeyId()).isEqualTo("pkcs11:rotakey-test/rotakey-hmac-v1");
        }
    }

    @Test
    void aMissingPinFailsNamingTheKey() {
        assertThatThrownBy(() -> parse("""
                keyBackends:
                  hsm:
                    type: pkcs11
                    library: /usr/lib/softhsm/libsofthsm2.so
                    tokenLabel: rotakey-test
                """))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[hsm].pin must not be null");
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThatThrownBy(() -> parse("""
                keyBackends:
                  hsm:
                    type: pkcs11
                    library: libsofthsm2.so
                    tokenLabel: a-token-label-that-is-longer-than-32-bytes
                    pin: {env: HSM_PIN, file: /etc/rotakey/pin}
                    hmacKeyLabel: " padded "
                """))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("library must be an absolute path")
                .hasMessageContaining("tokenLabel must fit the 32 bytes")
                .hasMessageContaining("must name exactly one of 'env', 'file' or 'credential'")
                .hasMessageContaining("hmacKeyLabel must be printable ASCII");
    }

    @Test
    void thePkcs11TypeIsDiscoverable() {
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes()).contains(Pkcs11KeyBackendFactory.class);
    }

    @Test
    void toStringNamesThePinSourceOnly() {
        Pkcs11KeyBackendFactory factory = new Pkcs11KeyBackendFactory();
        factory.setLibrary("/usr/lib/softhsm/libsofthsm2.so");
        factory.setTokenLabel("rotakey-test");
        factory.setPin(SecretSource.fromEnv("HSM_PIN"));

        assertThat(factory.toString()).isEqualTo("Pkcs11KeyBackendFactory{library=/usr/lib/softhsm/libsofthsm2.so,"
                + " tokenLabel=rotakey-test, pin=SecretSource{env=HSM_PIN}, hmacKeyLabel=rotakey-hmac-v1}");
    }
}
