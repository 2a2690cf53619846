package dev.rotakey.targets.mariadb;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.core.Secret;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetFactory;
import dev.rotakey.targets.VersionReferences;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.DiscoverableSubtypeResolver;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The parts of the {@code mariadb-user} target that need no server: its configuration, binding validation, claims,
 * logins, the endpoint, the native hash, the references and the quoting. Building the target opens no connection.
 */
class MariaDbUserTargetTest {
    private final MariaDbUserTarget target = new MariaDbUserTarget("maria-main",
            "jdbc:mariadb://db.internal:3307/app?sslMode=verify-full", "rotakey", null, 1000, 1000);

    @AfterEach
    void close() {
        target.close();
    }

    private static TargetBinding binding(Map<String, String> params) {
        return new TargetBinding("maria-main", params);
    }

    @Test
    void invalidBindingsAreRefusedNamingTheParameter() {
        Map<Map<String, String>, String> cases = new HashMap<>();
        cases.put(Map.of(), "user");
        cases.put(Map.of("user", " "), "user");
        cases.put(Map.of("user", "x".repeat(81)), "user");
        cases.put(Map.of("user", "x".repeat(79), "strategy", "alternating"), "user");
        cases.put(Map.of("user", "ok\nno"), "user");
        cases.put(Map.of("user", "back\\slash"), "user");
        cases.put(Map.of("user", " padded"), "user");
        cases.put(Map.of("user", "root"), "user");
        cases.put(Map.of("user", "ROOT"), "user");
        cases.put(Map.of("user", "mariadb.sys"), "user");
        cases.put(Map.of("user", "mysql.session"), "user");
        cases.put(Map.of("user", "PUBLIC"), "user");
        cases.put(Map.of("user", "rotakey"), "user");
        cases.put(Map.of("user", "ok", "strategy", "both"), "strategy");
        cases.put(Map.of("user", "ok", "group", "g"), "group");
        cases.put(Map.of("user", "ok", "strategy", "alternating", "group", "none"), "group");
        cases.put(Map.of("user", "ok", "strategy", "alternating", "group", "g\\"), "group");
        cases.put(Map.of("user", "ok", "host", ""), "host");
        cases.put(Map.of("user", "ok", "host", "a'b"), "host");
        cases.put(Map.of("user", "ok", "host", "h".repeat(256)), "host");
        cases.put(Map.of("user", "ok", "host", "local host"), "host");
        cases.put(Map.of("user", "ok", "role", "r"), "role");
        cases.forEach((params, parameter) -> assertThatThrownBy(() -> target.validateBinding(binding(params)))
                .as(params.toString()).isInstanceOfSatisfying(InvalidBindingException.class,
                        e -> assertThat(e.parameter()).isEqualTo(parameter)));
        try (MariaDbUserTarget pairAdmin = new MariaDbUserTarget("m", "jdbc:mariadb://h/", "svc_b", null, 1000, 1000)) {
            assertThatThrownBy(() -> pairAdmin.validateBinding(binding(Map.of("user", "svc", "strategy", "alternating"))))
                    .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.parameter()).isEqualTo("user"))
                    .hasMessageContaining("administrative user");
        }
        for (Map<String, String> ok : List.of(Map.of("user", "x".repeat(80)), Map.of("user", "x".repeat(78), "strategy", "alternating"),
                Map.of("user", "Reporting Agent 'q'"), Map.of("user", "ok", "host", "10.0.%"),
                Map.of("user", "ok", "host", "10.0.0.0/255.255.255.0"), Map.of("user", "ok", "host", "fe80::1"),
                Map.of("user", "ok", "host", "App.Internal", "strategy", "Alternating", "group", "readers"))) {
            assertThatCode(() -> target.validateBinding(binding(ok))).as(ok.toString()).doesNotThrowAnyException();
        }
    }

    @Test
    void theHostDefaultsToAnyAndIsStoredLowerCase() {
        assertThat(UserBinding.parse(binding(Map.of("user", "u"))).host()).isEqualTo("%");
        assertThat(UserBinding.parse(binding(Map.of("user", "u", "host", "App.Internal"))).host()).isEqualTo("app.internal");
        assertThat(UserBinding.parse(binding(Map.of("user", "u", "strategy", "alternating"))).group()).isEqualTo("u");
    }

    @Test
    void claimsTheAccounts() {
        assertThat(target.claims(binding(Map.of("user", "reporting")))).containsExactly("user:reporting@%");
        assertThat(target.claims(binding(Map.of("user", "reporting", "host", "10.0.%", "strategy", "alternating",
                "group", "readers")))).containsExactly("user:reporting_a@10.0.%", "user:reporting_b@10.0.%");
    }

    @Test
    void refusesCharactersThatOptionFilesAndSqlStringsMangle() {
        assertThat(target.refusedCharacters(binding(Map.of("user", "u")))).contains('\'', '"', '\\', '#');
    }

    @Test
    void theEndpointIsTheUrlsFirstHost() {
        assertThat(target.endpoint(binding(Map.of("user", "u")))).isEqualTo(new Endpoint("mariadb", "db.internal", 3307, "app", true));
        try (MariaDbUserTarget plain = new MariaDbUserTarget("m", "jdbc:mariadb://127.0.0.1/", "root", null, 1000, 1000)) {
            assertThat(plain.endpoint(null)).isEqualTo(new Endpoint("mariadb", "127.0.0.1", 3306, null, false));
        }
        assertThatThrownBy(() -> new MariaDbUserTarget("m", "jdbc:mysql://h/db?password=hunter2", "root", null, 1000, 1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("hunter2");
    }

    @Test
    void theReferenceNamesTheUserAndCannotConfirmAGuess() {
        TargetBinding b = binding(Map.of("user", "reporting", "strategy", "alternating"));
        try (Secret pw = Secret.of("correct-horse-battery-staple-42")) {
            Delivery d1 = new Delivery("a", "c", "password", 1, b, pw);
            String reference = target.materialReference(d1);
            assertThat(reference).matches("reporting_a:[0-9a-f]{8}").doesNotContain(pw.reveal())
                    .doesNotContain(NativePassword.of(pw.utf8()).substring(1).toLowerCase());
            assertThat(target.login(b, "c", new VersionReferences(1, List.of(reference)))).isEqualTo("reporting_a");
            // The version after it goes to the other user, and its reference says so.
            Delivery d2 = new Delivery("a", "c", "password", 2, b, pw).withRecords(List.of(),
                    new VersionReferences(1, List.of(reference)), List.of());
            assertThat(target.materialReference(d2)).startsWith("reporting_b:");
            // One password on two accounts gives two references.
            assertThat(AccountReference.of("u", "%", NativePassword.of(pw.utf8())))
                    .isNotEqualTo(AccountReference.of("u", "10.%", NativePassword.of(pw.utf8())));
        }
        assertThat(target.materialReference(new Delivery("a", "c", "password", 1, binding(Map.of("user", "solo")),
                Secret.of("pw-1234567890")))).startsWith("solo:");
    }

    @Test
    void referencesAreReadBack() {
        assertThat(AccountReference.parse("a:b:0123abcd")).contains(new AccountReference("a:b", "0123abcd"));
        assertThat(AccountReference.parse("user:0123ABCD")).isEmpty();
        assertThat(AccountReference.parse("user:0123abc")).isEmpty();
        assertThat(AccountReference.parse(":0123abcd")).isEmpty();
        assertThat(AccountReference.parse("SCRAM-salt==")).isEmpty();
        assertThat(AccountReference.parse(null)).isEmpty();
    }

    @Test
    void theNativeHashIsMariaDbs() {
        // SELECT PASSWORD('password') on MariaDB 10.11.
        assertThat(NativePassword.of("password".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
        assertThat(NativePassword.isHash("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19")).isTrue();
        assertThat(NativePassword.isHash("*2470c0c06dee42fd1618bb99005adca2ec9d1e19")).isFalse();
        assertThat(NativePassword.isHash("")).isFalse();
        assertThat(NativePassword.isHash(null)).isFalse();
        assertThat(NativePassword.isHash(NativePassword.unknown())).isTrue();
        assertThat(NativePassword.unknown()).isNotEqualTo(NativePassword.unknown());
    }

    @Test
    void quotingDoublesSingleQuotesAndRefusesBackslashes() {
        assertThat(AccountCatalog.quote("it's")).isEqualTo("'it''s'");
        assertThat(AccountCatalog.account("o'brien", "10.%")).isEqualTo("'o''brien'@'10.%'");
        assertThat(AccountCatalog.quote("a\"b`c;")).isEqualTo("'a\"b`c;'");
        assertThatThrownBy(() -> AccountCatalog.quote("a\\b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AccountCatalog.quote("a\0b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void neverShowsTheAdminPassword() {
        try (MariaDbUserTarget t = new MariaDbUserTarget("m", "jdbc:mariadb://h/db?password=hunter2", "root",
                "s3cret-admin".toCharArray(), 1000, 1000)) {
            assertThat(t.toString()).doesNotContain("hunter2").doesNotContain("s3cret-admin").contains("[redacted]");
        }
    }

    // ------------------------------------------------------------ configuration

    private final YamlConfigurationFactory<TargetFactory> yaml = new YamlConfigurationFactory<>(
            TargetFactory.class, Validators.newValidator(),
            Jackson.newObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES), "dw");

    private TargetFactory parse(String text) throws Exception {
        return yaml.build(path -> new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "target.yml");
    }

    @Test
    void isDiscoverableAndParsesFromYaml() throws Exception {
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes()).contains(MariaDbUserTargetFactory.class);
        MariaDbUserTargetFactory f = (MariaDbUserTargetFactory) parse("type: mariadb-user\n"
                + "url: jdbc:mariadb://db.internal:3306/app\nuser: rotakey\npassword:\n  env: ROTAKEY_MARIADB_PASSWORD\n"
                + "connectTimeout: 3s\nlimits:\n  concurrency: 2\n");
        assertThat(f.getUser()).isEqualTo("rotakey");
        assertThat(f.getConnectTimeout().toSeconds()).isEqualTo(3);
        assertThat(f.getCommandTimeout().toSeconds()).isEqualTo(10);
        assertThat(f.getPassword()).isNotNull();
        assertThat(f.limits()).isNotNull();
        assertThatThrownBy(() -> parse("type: mariadb-user\nuser: u\n")).isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("url");
        assertThatThrownBy(() -> parse("type: mariadb-user\nurl: jdbc:postgresql://h/db\nuser: u\n"))
                .isInstanceOf(ConfigurationValidationException.class).hasMessageContaining("url");
    }
}
