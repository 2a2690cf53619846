package dev.rotakey.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rotakey.RotakeyApplication;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.StartupException;
import dev.rotakey.config.StrictEnvironmentSubstitution;
import dev.rotakey.cluster.ClusterChecks;
import dev.rotakey.cluster.NodeIdentity;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationFactory;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.logging.common.ConsoleAppenderFactory;
import io.dropwizard.logging.common.DefaultLoggingFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Every Rotakey configuration file shipped under {@code config/} parses and validates exactly as
 * {@code java -jar rotakey.jar server FILE} would read it: the application's own bootstrap (its
 * ObjectMapper with the discoverable backend, target and sink types, its validator, unknown keys
 * refused, strict {@code ${VAR:-default}} substitution). Nothing is built: no HSM, database or Vault needed. The
 * variables without a default are set as the unit's {@code EnvironmentFile} would set them.
 */
class ShippedConfigsTest {
    private static final Path CONFIG = Path.of("config");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** config/**&#47;*.yml holding a Rotakey configuration; other YAML there (Prometheus rules) has no keyBackends. */
    static Stream<Path> rotakeyConfigs() throws IOException {
        try (Stream<Path> files = Files.walk(CONFIG)) {
            return files.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml"))
                    .filter(ShippedConfigsTest::isRotakeyConfig)
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    private static boolean isRotakeyConfig(Path file) {
        try {
            JsonNode root = YAML.readTree(file.toFile());
            return root != null && root.isObject() && root.has("keyBackends");
        } catch (IOException e) {
            // Not even YAML: report it as a Rotakey config, so that the parameterized test fails on it.
            return true;
        }
    }

    /** The application's bootstrap, made once for all the files: each one costs a mapper and a validator factory. */
    private static final Bootstrap<RotakeyConfiguration> BOOTSTRAP = bootstrap();
    private static final ConfigurationFactory<RotakeyConfiguration> FACTORY = BOOTSTRAP.getConfigurationFactoryFactory()
            .create(RotakeyConfiguration.class, BOOTSTRAP.getValidatorFactory().getValidator(), BOOTSTRAP.getObjectMapper(), "dw");

    private static Bootstrap<RotakeyConfiguration> bootstrap() {
        RotakeyApplication application = new RotakeyApplication();
        Bootstrap<RotakeyConfiguration> bootstrap = new Bootstrap<>(application);
        application.initialize(bootstrap);
        return bootstrap;
    }

    /** What /etc/default/rotakey sets for the production config: its variables that have no default. */
    private static final Map<String, String> DEPLOYMENT_ENV = Map.of("ROTAKEY_TLS_KEYSTORE_PASSWORD", "example");

    /** Parses and validates like Dropwizard's server and check commands do, with {@link #DEPLOYMENT_ENV} set. */
    private static RotakeyConfiguration load(Path file) throws IOException, ConfigurationException {
        return FACTORY.build(new StrictEnvironmentSubstitution(new FileConfigurationSourceProvider(),
                name -> DEPLOYMENT_ENV.getOrDefault(name, System.getenv(name))), file.toString());
    }

    @Test
    void theApplicationRefusesAnUnsetVariableWithoutADefaultNamingIt() {
        assumeThat(System.getenv("ROTAKEY_TLS_KEYSTORE_PASSWORD")).as("set in this environment").isNull();
        assertThat(BOOTSTRAP.getConfigurationSourceProvider()).isInstanceOf(StrictEnvironmentSubstitution.class);
        assertThatThrownBy(() -> FACTORY.build(BOOTSTRAP.getConfigurationSourceProvider(), "config/production/rotakey.yml"))
                .isInstanceOf(StartupException.class)
                .hasMessageStartingWith("config/production/rotakey.yml line ")
                .hasMessageContaining("environment variable ROTAKEY_TLS_KEYSTORE_PASSWORD is not set");
    }

    @Test
    void everyShippedConfigIsFound() throws IOException {
        assertThat(rotakeyConfigs().toList()).contains(Path.of("config/rotakey.yml"),
                Path.of("config/rotakey-postgres.yml"), Path.of("config/rotakey-vault.yml"),
                Path.of("config/production/rotakey.yml"));
    }

    @ParameterizedTest
    @MethodSource("rotakeyConfigs")
    void parsesAndValidates(Path file) throws Exception {
        RotakeyConfiguration c = load(file);
        assertThat(c.getKeyBackends()).as(file.toString()).isNotEmpty();
        assertThat(c.getCertificateAuthorities()).as(file.toString()).isNotEmpty();
    }

    @Test
    void productionConfigReadsEverySecretFromSystemdCredentialsAndLogsJson() throws Exception {
        RotakeyConfiguration c = load(Path.of("config/production/rotakey.yml"));
        assertThat(c.getDataDir()).isEqualTo("/var/lib/rotakey");
        assertThat(c.getDatabase().getDriverClass()).isEqualTo("org.postgresql.Driver");
        assertThat(c.getDatabase().getPassword()).as("no literal password").isNullOrEmpty();
        assertThat(c.getDatabase().getPasswordSecret().getCredential()).isEqualTo("db-password");
        assertThat(c.getKeyBackends()).containsOnlyKeys("hsm", "vault");
        assertThat(c.getTargets()).containsKeys("vault-kv");
        assertThat(c.getScheduler().isClustered()).isTrue();
        // What a clustered node refuses at start (H2, unshared local files), the example does not have.
        assertThatCode(() -> ClusterChecks.check(NodeIdentity.of(c.getScheduler()), c.getDatabase().getUrl(),
                c.getTargets())).doesNotThrowAnyException();
        assertThat(c.getDatabase().isMigrateOnStart()).as("nodes do not migrate; upgrades run db migrate").isFalse();
        assertThat(load(Path.of("config/rotakey.yml")).getDatabase().isMigrateOnStart()).as("the quickstart migrates").isTrue();

        DefaultServerFactory server = (DefaultServerFactory) c.getServerFactory();
        assertThat(server.getShutdownGracePeriod().toSeconds()).isEqualTo(30);
        // Mutual TLS on the API port: agents by agents-ca's SPIFFE IDs, other clients by mapped roles.
        assertThat(server.getApplicationConnectors()).singleElement().isInstanceOf(dev.rotakey.http.MtlsConnectorFactory.class);
        assertThat(c.getAuth().getMtls().isEnabled()).isTrue();
        assertThat(c.getAuth().getMtls().getAgents().getCa()).isEqualTo("agents-ca");
        assertThat(c.getAuth().getMtls().getRoles()).isNotEmpty();
        // The audit trail goes to the SIEM over TLS, with Rotakey's client certificate.
        assertThat(c.getAudit().getStreams()).singleElement().isInstanceOfSatisfying(
                dev.rotakey.audit.stream.SyslogStreamFactory.class, s -> {
                    assertThat(s.getTls().getCaFile()).startsWith("/etc/rotakey/tls/");
                    assertThat(s.getTls().getClientCertificateFile()).isNotBlank();
                    assertThat(s.getTls().isVerify()).isTrue();
                });
        List<ConsoleAppenderFactory<?>> consoles = ((DefaultLoggingFactory) c.getLoggingFactory()).getAppenders().stream()
                .filter(a -> a instanceof ConsoleAppenderFactory<?>).<ConsoleAppenderFactory<?>>map(a -> (ConsoleAppenderFactory<?>) a)
                .toList();
        assertThat(consoles).hasSize(1);
        assertThat(consoles.get(0).getLayout()).as("a JSON layout with journal priorities")
                .isInstanceOf(dev.rotakey.ops.JournalJsonLayoutFactory.class);

        // No secret value anywhere in the file: only where each one comes from.
        String text = Files.readString(Path.of("config/production/rotakey.yml"));
        assertThat(text).doesNotContainPattern("(?m)^[ \\t]*(pin|password|secretId|token|secret|routingKey):[ \\t]*[^ \\t\\n{#]");
    }
}
