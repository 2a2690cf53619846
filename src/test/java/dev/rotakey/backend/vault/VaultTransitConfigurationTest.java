package dev.rotakey.backend.vault;

import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.backend.KeyBackendFactory;
import dev.rotakey.config.SecretUnavailableException;
import dev.rotakey.vault.VaultAuthFactory;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationFactory;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.DefaultConfigurationFactoryFactory;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code type: vault-transit} in the daemon's configuration: discovered, defaults, and refusals that name the key. */
class VaultTransitConfigurationTest {
    private static final ConfigurationFactory<RotakeyConfiguration> FACTORY =
            new DefaultConfigurationFactoryFactory<RotakeyConfiguration>()
                    .create(RotakeyConfiguration.class, Validators.newValidator(), Jackson.newObjectMapper(), "dw");

    private static final String HEAD = """
            keyBackends:
              vault:
                type: vault-transit
            """;

    @TempDir
    Path tmp;

    private RotakeyConfiguration parse(String yaml) throws IOException, ConfigurationException {
        Path file = Files.writeString(tmp.resolve("rotakey.yml"), yaml);
        return FACTORY.build(new FileConfigurationSourceProvider(), file.toString());
    }

    @Test
    void anAppRoleBackendParsesWithDefaults() throws Exception {
        RotakeyConfiguration c = parse(HEAD + """
                    address: https://vault.example.org:8200/
                    auth:
                      method: approle
                      roleId: 5f1c-role
                      secretId:
                        file: /etc/rotakey/vault-secret-id
                """);

        KeyBackendFactory f = c.getKeyBackends().get("vault");
        assertThat(f).isInstanceOfSatisfying(VaultTransitKeyBackendFactory.class, v -> {
            assertThat(v.normalisedAddress()).isEqualTo("https://vault.example.org:8200");
            assertThat(v.getMount()).isEqualTo("transit");
            assertThat(v.getHmacKey()).isEqualTo("rotakey-hmac");
            assertThat(v.getAuth().getMethod()).isEqualTo(VaultAuthFactory.Method.APPROLE);
            assertThat(v.getAuth().getMount()).isEqualTo("approle");
            assertThat(v.getAuth().getSecretId().getFile()).isEqualTo("/etc/rotakey/vault-secret-id");
            assertThat(v.getTls().isVerify()).isTrue();
            assertThat(v.getConnectTimeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(v.getReadTimeout()).isEqualTo(Duration.ofSeconds(30));
            assertThat(v.toString()).doesNotContain("5f1c-role");
        });
    }

    @Test
    void aTokenBackendWithEveryKeyParses() throws Exception {
        RotakeyConfiguration c = parse(HEAD + """
                    address: https://vault:8200
                    namespace: team-a/agents
                    mount: pki/transit
                    hmacKey: digests
                    connectTimeout: PT2S
                    readTimeout: PT10S
                    tls:
                      caFile: /etc/rotakey/vault-ca.pem
                      clientCertificateFile: /etc/rotakey/client.pem
                      clientKeyFile: /etc/rotakey/client-key.pem
                    auth:
                      method: token
                      token:
                        env: VAULT_TOKEN
                """);

        VaultTransitKeyBackendFactory v = (VaultTransitKeyBackendFactory) c.getKeyBackends().get("vault");
        assertThat(v.getNamespace()).isEqualTo("team-a/agents");
        assertThat(v.getMount()).isEqualTo("pki/transit");
        assertThat(v.getHmacKey()).isEqualTo("digests");
        assertThat(v.getConnectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(v.getTls().getClientKeyFile()).isEqualTo("/etc/rotakey/client-key.pem");
        assertThat(v.getAuth().getToken().getEnv()).isEqualTo("VAULT_TOKEN");
    }

    @Test
    void aMissingOrBadAddressIsRefusedNamingTheKey() {
        String auth = """
                    auth:
                      method: token
                      token:
                        env: VAULT_TOKEN
                """;
        assertThatThrownBy(() -> parse(HEAD + auth))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].address");
        assertThatThrownBy(() -> parse(HEAD + "    address: vault.example.org:8200\n" + auth))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].address")
                .hasMessageContaining("http");
        assertThatThrownBy(() -> parse(HEAD + "    address: https://vault:8200/v1/\n" + auth))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].address");
    }

    @Test
    void authFieldsMustMatchTheMethod() {
        String address = "    address: http://127.0.0.1:8200\n";
        assertThatThrownBy(() -> parse(HEAD + address + "    auth:\n      method: token\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].auth.token")
                .hasMessageContaining("method: token");
        assertThatThrownBy(() -> parse(HEAD + address + "    auth:\n      method: approle\n      secretId:\n        env: S\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].auth.roleId");
        assertThatThrownBy(() -> parse(HEAD + address + "    auth:\n      method: approle\n      roleId: r\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].auth.secretId");
        assertThatThrownBy(() -> parse(HEAD + address))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].auth");
        assertThatThrownBy(() -> parse(HEAD + address + "    auth:\n      method: kerberos\n"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("auth.method");
    }

    @Test
    void aSecretSourceWithTwoSourcesIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> parse(HEAD + """
                    address: http://127.0.0.1:8200
                    auth:
                      method: token
                      token:
                        env: VAULT_TOKEN
                        file: /etc/rotakey/vault-token
                """))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].auth.token")
                .hasMessageContaining("exactly one");
    }

    @Test
    void halfAClientCertificateIsRefusedNamingTheMissingHalf() {
        assertThatThrownBy(() -> parse(HEAD + """
                    address: https://vault:8200
                    tls:
                      clientCertificateFile: /etc/rotakey/client.pem
                    auth:
                      method: token
                      token:
                        env: VAULT_TOKEN
                """))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].tls.clientKeyFile");
    }

    @Test
    void badMountAndHmacKeyNamesAreRefused() {
        String rest = """
                    address: http://127.0.0.1:8200
                    auth:
                      method: token
                      token:
                        env: VAULT_TOKEN
                """;
        assertThatThrownBy(() -> parse(HEAD + "    mount: /transit/\n" + rest))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].mount");
        assertThatThrownBy(() -> parse(HEAD + "    hmacKey: 'a key'\n" + rest))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[vault].hmacKey");
    }

    @Test
    void buildReadsTheSecretNowAndNamesItsKey() throws Exception {
        RotakeyConfiguration c = parse(HEAD + """
                    address: http://127.0.0.1:8200
                    auth:
                      method: approle
                      roleId: r
                      secretId:
                        file: /nonexistent/rotakey/secret-id
                """);
        assertThatThrownBy(() -> c.getKeyBackends().get("vault").build("vault"))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("keyBackends.vault.auth.secretId");
    }

    @Test
    void anUnreadableCaFileIsNamedAtBuild() throws Exception {
        Path token = Files.writeString(tmp.resolve("token"), "hvs.not-a-real-token\n");
        RotakeyConfiguration c = parse(HEAD + "    address: https://127.0.0.1:8200\n"
                + "    tls:\n      caFile: " + tmp.resolve("missing-ca.pem") + "\n"
                + "    auth:\n      method: token\n      token:\n        file: " + token + "\n");
        assertThatThrownBy(() -> c.getKeyBackends().get("vault").build("vault"))
                .hasMessageContaining("keyBackends.vault.tls.caFile")
                .hasMessageNotContaining("hvs.not-a-real-token");
    }
}
