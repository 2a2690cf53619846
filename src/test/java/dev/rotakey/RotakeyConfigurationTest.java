package dev.rotakey;

import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendFactory;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.targets.TargetFactory;
import dev.rotakey.targets.TargetLimitsFactory;
import dev.rotakey.targets.files.LocalFilesTargetFactory;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationFactory;
import io.dropwizard.configuration.ConfigurationParsingException;
import io.dropwizard.configuration.ConfigurationSourceProvider;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.DefaultConfigurationFactoryFactory;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.dropwizard.jetty.HttpConnectorFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link RotakeyConfiguration}: the shipped {@code config/rotakey.yml}, defaults, and configs that must be refused with a message naming the key. */
class RotakeyConfigurationTest {
    private static final String PKCS11_FACTORY = "dev.rotakey.backend.pkcs11.Pkcs11KeyBackendFactory";
    /** Whether the {@code pkcs11} backend type (written on another branch) is on the classpath. */
    private static final boolean PKCS11_PRESENT = classExists(PKCS11_FACTORY);

    /**
     * A key backend type for this test only, so that the checks that do not concern a particular
     * backend run whether or not {@code pkcs11} is there. Registered on the mapper directly, not as
     * a discoverable service, so the daemon never sees it.
     */
    @JsonTypeName("test-stub")
    static class StubKeyBackendFactory implements KeyBackendFactory {
        @Override
        public KeyBackend build(String name) {
            throw new UnsupportedOperationException("configuration tests never build backends");
        }
    }

    private static final String MINIMAL = """
            keyBackends:
              test:
                type: test-stub
            """;

    /** Maven runs tests from the project directory. */
    private static final Path SHIPPED = Path.of("config/rotakey.yml");

    @TempDir
    Path tmp;

    private static final ConfigurationFactory<RotakeyConfiguration> FACTORY = factory();

    private final ObjectMapper json = Jackson.newObjectMapper();

    /** The factory as the daemon builds it: DefaultConfigurationFactoryFactory (unknown keys fail), with ${VAR:-default} substitution. */
    private static ConfigurationFactory<RotakeyConfiguration> factory() {
        ObjectMapper mapper = Jackson.newObjectMapper();
        mapper.registerSubtypes(StubKeyBackendFactory.class);
        return new DefaultConfigurationFactoryFactory<RotakeyConfiguration>()
                .create(RotakeyConfiguration.class, Validators.newValidator(), mapper, "dw");
    }

    private static ConfigurationSourceProvider provider() {
        return new dev.rotakey.config.StrictEnvironmentSubstitution(new FileConfigurationSourceProvider());
    }

    private static RotakeyConfiguration load(Path file) throws IOException, ConfigurationException {
        return FACTORY.build(provider(), file.toString());
    }

    private RotakeyConfiguration parse(String yaml) throws IOException, ConfigurationException {
        return load(Files.writeString(tmp.resolve("rotakey.yml"), yaml));
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    private static boolean classExists(String name) {
        try {
            Class.forName(name, false, RotakeyConfigurationTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static void assumePkcs11() {
        // NEEDS THE pkcs11 BRANCH: skipped (not failed) until Pkcs11KeyBackendFactory is merged.
        assumeTrue(PKCS11_PRESENT, "type: pkcs11 (" + PKCS11_FACTORY + ") is not in this build yet");
    }

    // --- the shipped configuration ---

    @Test
    void theShippedConfigurationParses() throws Exception {
        assumePkcs11();
        String dataDir = env("ROTAKEY_DATA_DIR", "./data");

        RotakeyConfiguration c = load(SHIPPED);

        assertThat(c.getKeyBackends()).containsOnlyKeys("hsm");
        KeyBackendFactory hsm = c.getKeyBackends().get("hsm");
        assertThat(hsm.getClass().getName()).isEqualTo(PKCS11_FACTORY);
        // Read through Jackson so that this class compiles without the pkcs11 branch.
        JsonNode backend = json.valueToTree(hsm);
        assertThat(backend.path("type").asText()).isEqualTo("pkcs11");
        assertThat(backend.path("library").asText()).isEqualTo("/usr/lib/softhsm/libsofthsm2.so");
        assertThat(backend.path("tokenLabel").asText()).isEqualTo("rotakey");
        assertThat(backend.path("pin").path("file").asText()).isEqualTo(dataDir + "/hsm-pin");
        assertThat(backend.path("pin").path("env").isNull()).isTrue();
        // Not in the file: the factory's default applies.
        assertThat(backend.path("hmacKeyLabel").asText()).isNotBlank();

        assertShippedSettings(c, dataDir);
    }

    @Test
    void theShippedConfigurationIsValidApartFromItsBackend() throws Exception {
        // Runs without the pkcs11 branch: the shipped file with its keyBackends block swapped for
        // the stub, so that everything else in it (targets, database, rotation, server) is checked now.
        String shipped = Files.readString(SHIPPED);
        String withStub = shipped.replaceFirst("(?s)\nkeyBackends:\n.*?\n\n", "\nkeyBackends:\n  hsm:\n    type: test-stub\n\n");
        assertThat(shipped).contains("type: pkcs11");
        assertThat(withStub).doesNotContain("pkcs11").contains("type: local-files").contains("rotation:");

        RotakeyConfiguration c = parse(withStub);

        assertThat(c.getKeyBackends()).containsOnlyKeys("hsm");
        assertShippedSettings(c, env("ROTAKEY_DATA_DIR", "./data"));
    }

    @Test
    void thePostgresConfigurationIsValidApartFromItsBackend() throws Exception {
        String shipped = Files.readString(Path.of("config/rotakey-postgres.yml"));
        String withStub = shipped.replaceFirst("(?s)\nkeyBackends:\n.*?\n\n", "\nkeyBackends:\n  hsm:\n    type: test-stub\n\n");
        assertThat(withStub).doesNotContain("pkcs11");

        RotakeyConfiguration c = parse(withStub);

        assertThat(c.getDatabase().getDriverClass()).isEqualTo("org.postgresql.Driver");
        assertAgentsCa(c);
    }

    @Test
    void theVaultConfigurationKeepsEveryKeyInTransitAndDeliversToKv() throws Exception {
        RotakeyConfiguration c = parse(Files.readString(Path.of("config/rotakey-vault.yml")));

        assertThat(c.getKeyBackends()).containsOnlyKeys("vault");
        assertThat(c.getKeyBackends().get("vault")).isInstanceOf(dev.rotakey.backend.vault.VaultTransitKeyBackendFactory.class);
        assertThat(c.getCertificateAuthorities().get("agents-ca").getBackend()).isEqualTo("vault");
        assertThat(c.getTargets()).containsOnlyKeys("local-files", "vault-kv");
        assertThat(c.getTargets().get("vault-kv")).isInstanceOf(dev.rotakey.targets.vault.VaultKvTargetFactory.class);
    }

    /** The shipped {@code agents-ca}: in backend {@code hsm}, EC P-256, ten years, trust domain rotakey.local. */
    private static void assertAgentsCa(RotakeyConfiguration c) {
        assertThat(c.getCertificateAuthorities()).containsOnlyKeys("agents-ca");
        CertificateAuthorityFactory ca = c.getCertificateAuthorities().get("agents-ca");
        assertThat(ca.getBackend()).isEqualTo("hsm");
        assertThat(ca.getKeySpec()).isEqualTo(KeySpec.EC_P256);
        assertThat(ca.getSubject()).isEqualTo("CN=Rotakey Agents CA,O=Rotakey");
        assertThat(ca.getValidity()).isEqualTo(Duration.ofDays(3650));
        assertThat(ca.getTrustDomain()).isEqualTo("rotakey.local");
    }

    /** Everything in the shipped file except the key backend, and the defaults for what it leaves out. */
    private static void assertShippedSettings(RotakeyConfiguration c, String dataDir) {
        assertThat(c.getDataDir()).isEqualTo(dataDir);
        assertAgentsCa(c);
        assertThat(c.getTargets()).containsOnlyKeys("local-files");
        assertThat(c.getTargets().get("local-files")).isInstanceOfSatisfying(LocalFilesTargetFactory.class,
                f -> assertThat(f.getDirectory()).isEqualTo(dataDir + "/delivered"));

        assertThat(c.getDatabase().getDriverClass()).isEqualTo("org.h2.Driver");
        assertThat(c.getDatabase().getUrl()).startsWith("jdbc:h2:file:" + dataDir + "/rotakey");
        assertThat(c.getAuth().getAdminTokenFile()).isEqualTo(dataDir + "/admin-token");

        assertThat(c.getRotation().getEvery()).isEqualTo(Duration.ofDays(30));
        assertThat(c.getRotation().getGracePeriod()).isEqualTo(Duration.ofHours(1));
        assertThat(c.getRotation().getJitter()).isEqualTo(0.05);
        assertThat(c.getRotation().getMaxJitter()).isEqualTo(Duration.ofHours(1));
        assertThat(c.getRotation().getRetryFailedAfter()).isEqualTo(Duration.ofHours(1));
        assertThat(c.getRotation().getRetry().getMaxAttempts()).isEqualTo(5);
        assertThat(c.getRotation().getRetry().getInitialBackoff()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.getRotation().getRetry().getMaxBackoff()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.getRotation().getRetry().getMultiplier()).isEqualTo(2.0);
        assertThat(c.getRotation().getRetry().getJitter()).isEqualTo(0.5);
        assertThat(c.getScheduler().getThreads()).isEqualTo(4);
        assertThat(c.getScheduler().getMisfireThreshold()).isEqualTo(Duration.ofMinutes(1));
        // Defaults for keys the shipped file leaves out.
        assertThat(c.getScheduler().isClustered()).isFalse();
        assertThat(c.getScheduler().getInstanceName()).isEqualTo("rotakey");

        assertThat(c.getServerFactory()).isInstanceOfSatisfying(DefaultServerFactory.class, s -> {
            assertThat(s.getApplicationConnectors()).singleElement().isInstanceOfSatisfying(HttpConnectorFactory.class, h -> {
                assertThat(h.getPort()).isEqualTo(Integer.parseInt(env("ROTAKEY_HTTP_PORT", "8080")));
                assertThat(h.getBindHost()).isEqualTo("127.0.0.1");
            });
            assertThat(s.getAdminConnectors()).singleElement().isInstanceOfSatisfying(HttpConnectorFactory.class, h -> {
                assertThat(h.getPort()).isEqualTo(Integer.parseInt(env("ROTAKEY_ADMIN_PORT", "8081")));
                assertThat(h.getBindHost()).isEqualTo("127.0.0.1");
            });
        });
    }

    // --- defaults ---

    @Test
    void defaultsApplyToKeysLeftOut() throws Exception {
        RotakeyConfiguration c = parse(MINIMAL);

        assertThat(c.getDataDir()).isEqualTo("./data");
        assertThat(c.getKeyBackends()).containsOnlyKeys("test");
        assertThat(c.getTargets()).isEmpty();
        assertThat(c.getDatabase().getDriverClass()).isEqualTo("org.h2.Driver");
        assertThat(c.getDatabase().getUrl()).isEqualTo("jdbc:h2:file:./data/rotakey");
        assertThat(c.getRotation().getEvery()).isEqualTo(Duration.ofDays(30));
        assertThat(c.getRotation().getGracePeriod()).isEqualTo(Duration.ofHours(1));
        assertThat(c.getRotation().getJitter()).isEqualTo(0.05);
        assertThat(c.getRotation().getMaxJitter()).isEqualTo(Duration.ofHours(1));
        assertThat(c.getRotation().getRetryFailedAfter()).isEqualTo(Duration.ofHours(1));
        assertThat(c.getRotation().getRetry().getMaxAttempts()).isEqualTo(5);
        assertThat(c.getRotation().getRetry().getInitialBackoff()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.getRotation().getRetry().getMaxBackoff()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.getRotation().getRetry().getMultiplier()).isEqualTo(2.0);
        assertThat(c.getRotation().getRetry().getJitter()).isEqualTo(0.5);
        assertThat(c.getScheduler().getThreads()).isEqualTo(4);
        assertThat(c.getScheduler().getMisfireThreshold()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.getScheduler().isClustered()).isFalse();
        assertThat(c.getScheduler().getInstanceName()).isEqualTo("rotakey");
        assertThat(c.getAuth().getAdminTokenFile()).isEqualTo("./data/admin-token");
    }

    @Test
    void partialSectionsKeepTheirOtherDefaults() throws Exception {
        RotakeyConfiguration c = parse(MINIMAL + """
                rotation:
                  every: P7D
                  retry:
                    maxAttempts: 8
                """);

        assertThat(c.getRotation().getEvery()).isEqualTo(Duration.ofDays(7));
        assertThat(c.getRotation().getGracePeriod()).isEqualTo(Duration.ofHours(1));
        assertThat(c.getRotation().getRetry().getMaxAttempts()).isEqualTo(8);
        assertThat(c.getRotation().getRetry().getInitialBackoff()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void environmentVariablesWithDefaultsAreSubstituted() throws Exception {
        String var = "ROTAKEY_TEST_SURELY_UNSET_" + ProcessHandle.current().pid();
        assumeTrue(System.getenv(var) == null);

        RotakeyConfiguration c = parse(MINIMAL + "dataDir: ${" + var + ":-/srv/rotakey}\n");

        assertThat(c.getDataDir()).isEqualTo("/srv/rotakey");
    }

    // --- refused configurations ---

    @Test
    void anUnknownTopLevelKeyIsRefused() {
        assertThatThrownBy(() -> parse(MINIMAL + "rotaton:\n  every: P7D\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("rotaton");
    }

    @Test
    void anUnknownKeyInsideRotationIsRefused() {
        assertThatThrownBy(() -> parse(MINIMAL + "rotation:\n  every: P7D\n  gracePerod: PT1H\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("rotation.gracePerod");
    }

    @Test
    void anUnknownKeyInsideRetryIsRefused() {
        assertThatThrownBy(() -> parse(MINIMAL + "rotation:\n  retry:\n    maxAttemps: 3\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("rotation.retry.maxAttemps");
    }

    @Test
    void aWrongTypeIsRefused() {
        assertThatThrownBy(() -> parse(MINIMAL + "scheduler:\n  threads: many\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("scheduler.threads")
                .hasMessageContaining("expected: int");
    }

    @Test
    void aMalformedDurationIsRefused() {
        assertThatThrownBy(() -> parse(MINIMAL + "rotation:\n  every: thirty days\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("rotation.every");
    }

    @Test
    void aGracePeriodLongerThanTheIntervalIsRefused() {
        assertThatThrownBy(() -> parse(MINIMAL + "rotation:\n  every: P30D\n  gracePeriod: P31D\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("gracePeriod");
        assertThatThrownBy(() -> parse(MINIMAL + "rotation:\n  every: P30D\n  gracePeriod: P30D\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("gracePeriod");
    }

    @Test
    void alertingSettingsThatCannotWorkAreRefusedNamingTheSection() {
        assertThatThrownBy(() -> parse(MINIMAL + "alerting:\n  evaluationInterval: PT1M\n  repeatInterval: PT30S\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("alerting")
                .hasMessageContaining("repeatInterval");
        assertThatThrownBy(() -> parse(MINIMAL + "alerting:\n  sinks:\n    Ops_Team:\n      type: alertmanager\n"
                + "      url: http://127.0.0.1:9093\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("alerting.sinks names");
        assertThatThrownBy(() -> parse(MINIMAL + "alerting:\n  sinks:\n    ops:\n      type: carrier-pigeon\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("alerting.sinks")
                .hasMessageContaining("carrier-pigeon");
        assertThatThrownBy(() -> parse(MINIMAL + "alerting:\n  maxAlertsPerCondition: 0\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("alerting.maxAlertsPerCondition");
    }

    @Test
    void outOfRangeNumbersAreRefused() {
        assertThatThrownBy(() -> parse(MINIMAL + "scheduler:\n  threads: 0\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("scheduler.threads");
        assertThatThrownBy(() -> parse(MINIMAL + "rotation:\n  jitter: 0.9\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("rotation.jitter");
        assertThatThrownBy(() -> parse(MINIMAL + "rotation:\n  retry:\n    initialBackoff: PT10M\n    maxBackoff: PT5M\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("initialBackoff");
    }

    // --- target limits (storm control) ---

    private static final String FILES_TARGET = MINIMAL + """
            targets:
              files:
                type: local-files
                directory: /srv/rotakey/delivered
            """;

    @Test
    void aTargetWithoutLimitsHasNone() throws Exception {
        assertThat(parse(FILES_TARGET).getTargets().get("files").limits()).isNull();
    }

    @Test
    void targetLimitsAreReadWithDefaultsForKeysLeftOut() throws Exception {
        TargetLimitsFactory set = parse(FILES_TARGET + """
                    limits:
                      concurrency: 2
                      perSecond: 10
                      maxWait: PT30S
                """).getTargets().get("files").limits();
        assertThat(set.getConcurrency()).isEqualTo(2);
        assertThat(set.getPerSecond()).isEqualTo(10);
        assertThat(set.getMaxWait()).isEqualTo(Duration.ofSeconds(30));

        TargetLimitsFactory defaults = parse(FILES_TARGET + "    limits:\n      concurrency: 4\n")
                .getTargets().get("files").limits();
        assertThat(defaults.getConcurrency()).isEqualTo(4);
        assertThat(defaults.getPerSecond()).isZero();
        assertThat(defaults.getMaxWait()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void everyTargetTypeTakesLimits() throws Exception {
        RotakeyConfiguration c = parse(MINIMAL + """
                targets:
                  redis:
                    type: redis-acl
                    host: 127.0.0.1
                    limits:
                      perSecond: 50
                  kv:
                    type: vault-kv
                    address: https://vault.example.org:8200
                    auth:
                      method: approle
                      roleId: rotakey
                      secretId:
                        file: /srv/rotakey/vault-secret-id
                    limits:
                      concurrency: 3
                  hook:
                    type: webhook
                    url: https://consumer.example.org/rotakey
                    secret:
                      file: /srv/rotakey/webhook-secret
                    limits:
                      concurrency: 1
                      perSecond: 5
                """);
        assertThat(c.getTargets().get("redis").limits().getPerSecond()).isEqualTo(50);
        assertThat(c.getTargets().get("kv").limits().getConcurrency()).isEqualTo(3);
        assertThat(c.getTargets().get("hook").limits().getPerSecond()).isEqualTo(5);
    }

    @Test
    void badTargetLimitsAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> parse(FILES_TARGET + "    limits:\n      concurrency: -1\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("limits.concurrency");
        assertThatThrownBy(() -> parse(FILES_TARGET + "    limits:\n      perSecond: -5\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("limits.perSecond");
        assertThatThrownBy(() -> parse(FILES_TARGET + "    limits:\n      maxWait: PT0S\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("targets.files.limits.maxWait").hasMessageContaining("must be positive");
        assertThatThrownBy(() -> parse(FILES_TARGET + "    limits:\n      concurency: 2\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("concurency");
    }

    // --- certificate authorities ---

    private static final String CA = MINIMAL + """
            certificateAuthorities:
              test-ca:
                backend: test
                subject: "CN=Test CA"
                trustDomain: example.org
            """;

    @Test
    void aCaLeftAtItsDefaultsIsEcP256ForTenYears() throws Exception {
        CertificateAuthorityFactory ca = parse(CA).getCertificateAuthorities().get("test-ca");

        assertThat(ca.getKeySpec()).isEqualTo(KeySpec.EC_P256);
        assertThat(ca.getValidity()).isEqualTo(Duration.ofDays(3650));
        assertThat(parse(MINIMAL).getCertificateAuthorities()).isEmpty();
    }

    @Test
    void everyKeySpecIsAccepted() throws Exception {
        for (KeySpec spec : KeySpec.values()) {
            assertThat(parse(CA + "    keySpec: " + spec + "\n").getCertificateAuthorities().get("test-ca").getKeySpec())
                    .isEqualTo(spec);
        }
    }

    @Test
    void badCaSettingsAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> parse(CA + "    keySpec: ED25519\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("certificateAuthorities.test-ca.keySpec");
        assertThatThrownBy(() -> parse(CA + "    validity: ten years\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("certificateAuthorities.test-ca.validity");
        assertThatThrownBy(() -> parse(CA.replace("example.org", "Example_Org")))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("certificateAuthorities[test-ca].trustDomain");
        assertThatThrownBy(() -> parse(CA.replace("\"CN=Test CA\"", "\"not a name\"")))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("certificateAuthorities.test-ca.subject").hasMessageContaining("X.500");
        assertThatThrownBy(() -> parse(CA + "    validity: PT1H\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("certificateAuthorities.test-ca.validity").hasMessageContaining("one day");
        assertThatThrownBy(() -> parse(CA.replace("    trustDomain: example.org\n", "")))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("certificateAuthorities[test-ca].trustDomain");
        assertThatThrownBy(() -> parse(CA.replace("test-ca:", "Test-CA:")))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("certificateAuthorities");
    }

    @Test
    void caCrlSettingsHaveDefaultsAndAreChecked() throws Exception {
        CertificateAuthorityFactory defaults = parse(CA).getCertificateAuthorities().get("test-ca");
        assertThat(defaults.getCrlBaseUrl()).isEqualTo("http://localhost:8080");
        assertThat(defaults.getCrlValidity()).isEqualTo(Duration.ofDays(1));
        assertThat(defaults.getCrlFile()).isNull();
        assertThat(defaults.getParent()).isNull();

        CertificateAuthorityFactory set = parse(CA + "    crlBaseUrl: https://ca.example.org/pki//\n    crlValidity: PT6H\n"
                + "    crlFile: /srv/www/agents.crl\n    parent: root-ca\n").getCertificateAuthorities().get("test-ca");
        // Trailing slashes dropped: leaves name <crlBaseUrl>/api/v1/cas/<name>/crl.
        assertThat(set.getCrlBaseUrl()).isEqualTo("https://ca.example.org/pki");
        assertThat(set.getCrlValidity()).isEqualTo(Duration.ofHours(6));
        assertThat(set.getCrlFile()).isEqualTo("/srv/www/agents.crl");
        assertThat(set.getParent()).isEqualTo("root-ca");

        for (String bad : java.util.List.of("ftp://ca.example.org", "ca.example.org", "https://ca.example.org/?x=1", "http://")) {
            assertThatThrownBy(() -> parse(CA + "    crlBaseUrl: \"" + bad + "\"\n"))
                    .as(bad)
                    .isInstanceOf(ConfigurationParsingException.class)
                    .hasMessageContaining("certificateAuthorities.test-ca.crlBaseUrl");
        }
        assertThatThrownBy(() -> parse(CA + "    crlValidity: PT30M\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("certificateAuthorities.test-ca.crlValidity").hasMessageContaining("one hour");
    }

    @Test
    void anUnknownBackendTypeIsRefused() {
        assertThatThrownBy(() -> parse("keyBackends:\n  hsm:\n    type: nope\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("keyBackends")
                .hasMessageContaining("nope");
    }

    @Test
    void noBackendIsRefused() {
        assertThatThrownBy(() -> parse("dataDir: /srv/rotakey\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends");
    }

    @Test
    void aBackendNameWithUpperCaseIsRefused() {
        assertThatThrownBy(() -> parse("keyBackends:\n  HSM:\n    type: test-stub\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends");
    }

    @Test
    void aTargetNameWithUpperCaseIsRefused() {
        assertThatThrownBy(() -> parse(MINIMAL + "targets:\n  Local-Files:\n    type: local-files\n    directory: /tmp/x\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("targets");
    }

    @Test
    void wellFormedNamesAreAccepted() throws Exception {
        RotakeyConfiguration c = parse("keyBackends:\n  hsm-2:\n    type: test-stub\n"
                + "targets:\n  files-0:\n    type: local-files\n    directory: /tmp/x\n");
        assertThat(c.getKeyBackends()).containsOnlyKeys("hsm-2");
        assertThat(c.getTargets()).containsOnlyKeys("files-0");
    }

    // --- the pkcs11 backend (needs the pkcs11 branch) ---

    private static final String PKCS11_HEAD = """
            keyBackends:
              hsm:
                type: pkcs11
                library: /usr/lib/softhsm/libsofthsm2.so
                tokenLabel: rotakey
            """;

    @Test
    void aPkcs11BackendWithoutPinIsRefused() {
        assumePkcs11();
        assertThatThrownBy(() -> parse(PKCS11_HEAD))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends")
                .hasMessageContaining("pin");
    }

    @Test
    void aPinWithBothEnvAndFileIsRefused() {
        assumePkcs11();
        assertThatThrownBy(() -> parse(PKCS11_HEAD + "    pin:\n      env: HSM_PIN\n      file: /etc/rotakey/pin\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("keyBackends[hsm].pin")
                .hasMessageContaining("exactly one");
    }

    @Test
    void aPkcs11BackendWithAPinIsAccepted() throws Exception {
        assumePkcs11();
        RotakeyConfiguration c = parse(PKCS11_HEAD + "    pin:\n      env: HSM_PIN\n");
        JsonNode backend = json.valueToTree(c.getKeyBackends().get("hsm"));
        assertThat(backend.path("pin").path("env").asText()).isEqualTo("HSM_PIN");
        assertThat(backend.path("library").asText()).isEqualTo("/usr/lib/softhsm/libsofthsm2.so");
        assertThat(backend.path("tokenLabel").asText()).isEqualTo("rotakey");
        assertThat(backend.path("pin").path("file").isNull()).isTrue();
    }

    @Test
    void anUnknownKeyInAPkcs11BackendIsRefused() {
        assumePkcs11();
        assertThatThrownBy(() -> parse(PKCS11_HEAD + "    pin:\n      env: HSM_PIN\n    slot: 3\n"))
                .isInstanceOf(ConfigurationParsingException.class)
                .hasMessageContaining("slot");
    }
}
