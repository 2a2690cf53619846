package dev.rotakey.targets.postgres;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.core.Secret;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.TargetFactory;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.DiscoverableSubtypeResolver;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The {@code postgres-role} target against the machine's real PostgreSQL, which trusts loopback connections:
 * every "this password works" is therefore shown by a fresh login and by the stored SCRAM verifier.
 */
class PostgresRoleTargetIT {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    private final PostgresProbe postgres = new PostgresProbe();
    private final Target target = PostgresProbe.factory().build("pg-main");
    private final List<Secret> secrets = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        target.close();
        postgres.close();
        secrets.forEach(Secret::destroy);
    }

    private Secret password() {
        char[] p = new char[32];
        for (int i = 0; i < p.length; i++) {
            p[i] = ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length()));
        }
        Secret s = Secret.wrap(p);
        secrets.add(s);
        return s;
    }

    private static TargetBinding binding(Map<String, String> params) {
        return new TargetBinding("pg-main", params);
    }

    private static Delivery delivery(TargetBinding binding, int version, Secret material) {
        return new Delivery("agent-1", "cred-1", "password", version, binding, material);
    }

    private Revocation revocation(TargetBinding binding, int version, Secret material) {
        String reference = target.materialReference(delivery(binding, version, material));
        return new Revocation("agent-1", "cred-1", "password", version, binding, content -> false, List.of(reference));
    }

    // ------------------------------------------------------------ single

    @Test
    void singleCreatesTheRoleAndReplacesItsPassword() {
        String role = postgres.newRole();
        TargetBinding b = binding(Map.of("role", role));
        target.validateBinding(b);
        Secret v1 = password();
        Secret v2 = password();

        target.deliver(delivery(b, 1, v1));
        target.verify(delivery(b, 1, v1));
        assertThat(PostgresProbe.works(role, v1.reveal())).isTrue();

        target.deliver(delivery(b, 2, v2));
        target.verify(delivery(b, 2, v2));
        assertThat(PostgresProbe.works(role, v2.reveal())).isTrue();
        // The old password stops working at once: that is what single means.
        assertThat(PostgresProbe.storedPasswordIs(role, v1.reveal())).isFalse();
        assertThatThrownBy(() -> target.verify(delivery(b, 1, v1))).isInstanceOf(TargetException.class);

        // Revoking the previous version finds nothing of it left and must not touch the current password.
        target.revoke(revocation(b, 1, v1));
        target.revoke(revocation(b, 1, v1));
        assertThat(PostgresProbe.works(role, v2.reveal())).isTrue();
        assertThat(PostgresProbe.canLogin(role)).isTrue();
    }

    @Test
    void singleDiscardLeavesTheRoleUsable() {
        String role = postgres.newRole();
        TargetBinding b = binding(Map.of("role", role, "strategy", "single"));
        Secret v1 = password();
        Secret v2 = password();
        target.deliver(delivery(b, 1, v1));
        target.deliver(delivery(b, 2, v2));

        target.discard(revocation(b, 2, v2));
        target.discard(revocation(b, 2, v2));

        // The previous password cannot come back; the role is not locked either.
        assertThat(PostgresProbe.canLogin(role)).isTrue();
        assertThat(PostgresProbe.works(role, v2.reveal())).isTrue();
    }

    @Test
    void singleRevocationOfTheVersionStillHeldLocksTheRole() {
        String role = postgres.newRole();
        TargetBinding b = binding(Map.of("role", role));
        Secret v1 = password();
        target.deliver(delivery(b, 1, v1));
        target.revoke(revocation(b, 1, v1));
        assertThat(PostgresProbe.canLogin(role)).isFalse();
        assertThat(PostgresProbe.logsIn(role, v1.reveal())).isFalse();
        assertThat(PostgresProbe.storedPasswordIs(role, v1.reveal())).isFalse();
    }

    @Test
    void verifyProvesThePasswordEvenWhereTheServerTrustsEveryLogin() {
        String role = postgres.newRole();
        TargetBinding b = binding(Map.of("role", role));
        Secret v1 = password();
        Secret wrong = password();
        target.deliver(delivery(b, 1, v1));
        // Trust authentication lets the wrong password in ...
        assertThat(PostgresProbe.logsIn(role, wrong.reveal())).isTrue();
        // ... the stored verifier does not.
        TargetException e = catchThrowableOfType(TargetException.class, () -> target.verify(delivery(b, 1, wrong)));
        assertThat(e).isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("pg-main").contains(role).doesNotContain(wrong.reveal()).doesNotContain(v1.reveal());
    }

    // ------------------------------------------------------------ alternating

    @Test
    void alternatingKeepsBothWorkingDuringTheGracePeriodThenLocksTheOld() {
        String role = postgres.newRole();
        TargetBinding b = binding(Map.of("role", role, "strategy", "alternating"));
        target.validateBinding(b);
        Secret v1 = password();
        Secret v2 = password();

        target.deliver(delivery(b, 1, v1));
        target.verify(delivery(b, 1, v1));
        assertThat(PostgresProbe.canLogin(role)).isFalse();
        assertThat(PostgresProbe.isMember(role + "_a", role)).isTrue();
        assertThat(PostgresProbe.isMember(role + "_b", role)).isTrue();
        assertThat(PostgresProbe.canLogin(role + "_b")).isFalse();
        assertThat(target.materialReference(delivery(b, 1, v1))).doesNotContain(v1.reveal());

        target.deliver(delivery(b, 2, v2));
        target.verify(delivery(b, 2, v2));
        // Grace period: the old role with the old password and the new role with the new one.
        assertThat(PostgresProbe.works(role + "_a", v1.reveal())).isTrue();
        assertThat(PostgresProbe.works(role + "_b", v2.reveal())).isTrue();

        target.revoke(revocation(b, 1, v1));
        assertThat(PostgresProbe.canLogin(role + "_a")).isFalse();
        assertThat(PostgresProbe.logsIn(role + "_a", v1.reveal())).isFalse();
        assertThat(PostgresProbe.storedPasswordIs(role + "_a", v1.reveal())).isFalse();
        assertThat(PostgresProbe.works(role + "_b", v2.reveal())).isTrue();

        // Version 3 goes back to _a, which logs in again.
        Secret v3 = password();
        target.deliver(delivery(b, 3, v3));
        target.verify(delivery(b, 3, v3));
        assertThat(PostgresProbe.works(role + "_a", v3.reveal())).isTrue();
        assertThat(PostgresProbe.works(role + "_b", v2.reveal())).isTrue();
    }

    @Test
    void revokingAnOldVersionNeverBreaksTheNewerOneOnTheSameRole() {
        String role = postgres.newRole();
        TargetBinding b = binding(Map.of("role", role, "strategy", "alternating"));
        Secret v1 = password();
        Secret v2 = password();
        Secret v3 = password();
        target.deliver(delivery(b, 1, v1));
        target.deliver(delivery(b, 2, v2));
        target.deliver(delivery(b, 3, v3));

        // Version 1's revocation arrives late (after a crash, say): _a now carries version 3.
        target.revoke(revocation(b, 1, v1));

        assertThat(PostgresProbe.works(role + "_a", v3.reveal())).isTrue();
        assertThat(PostgresProbe.canLogin(role + "_a")).isTrue();
    }

    @Test
    void discardLocksTheFailedRoleAndKeepsTheCurrentOne() {
        String role = postgres.newRole();
        String group = postgres.newRole("rk_group_");
        TargetBinding b = binding(Map.of("role", role, "strategy", "alternating", "group", group));
        Secret v1 = password();
        Secret v2 = password();
        target.deliver(delivery(b, 1, v1));
        target.deliver(delivery(b, 2, v2));
        assertThat(PostgresProbe.isMember(role + "_a", group)).isTrue();
        assertThat(PostgresProbe.exists(role)).isFalse();

        target.discard(revocation(b, 2, v2));

        assertThat(PostgresProbe.canLogin(role + "_b")).isFalse();
        assertThat(PostgresProbe.storedPasswordIs(role + "_b", v2.reveal())).isFalse();
        assertThat(PostgresProbe.works(role + "_a", v1.reveal())).isTrue();
        target.verify(delivery(b, 1, v1));
    }

    @Test
    void ourScramVerifiersAreComputedAsPostgresComputesThem() throws Exception {
        // The machine's pg_hba trusts loopback, so no login proves the verifier; PostgreSQL's own does.
        String role = postgres.newRole();
        Secret plain = password();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(PostgresProbe.URL, PostgresProbe.ADMIN, null);
             java.sql.Statement s = c.createStatement()) {
            s.execute("SET password_encryption = 'scram-sha-256'");
            s.execute("CREATE ROLE " + RoleCatalog.quoteIdentifier(role) + " LOGIN PASSWORD "
                    + RoleCatalog.quoteLiteral(plain.reveal()));
        }
        ScramVerifier stored = ScramVerifier.parse(PostgresProbe.query("SELECT rolpassword FROM pg_authid WHERE rolname = ?", role));
        assertThat(stored).isNotNull();
        assertThat(stored.accepts(plain.chars())).isTrue();
        assertThat(stored.accepts(password().chars())).isFalse();
        // Recomputed under the server's salt and iterations, ours is the server's verifier, byte for byte.
        assertThat(ScramVerifier.of(plain.chars(), stored.salt(), stored.iterations()).text())
                .isEqualTo(PostgresProbe.query("SELECT rolpassword FROM pg_authid WHERE rolname = ?", role));
    }

    // ------------------------------------------------------------ identifiers and bindings

    @Test
    void roleNamesThatNeedQuotingWork() {
        String role = postgres.newRole("Rk \"Quoted\"; DROP ROLE x; ");
        for (String strategy : List.of("single", "alternating")) {
            TargetBinding b = binding(Map.of("role", role, "strategy", strategy));
            target.validateBinding(b);
            Secret v1 = password();
            target.deliver(delivery(b, 1, v1));
            target.verify(delivery(b, 1, v1));
            String login = strategy.equals("single") ? role : role + "_a";
            assertThat(PostgresProbe.works(login, v1.reveal())).isTrue();
        }
    }

    @Test
    void invalidBindingsAreRefusedNamingTheParameter() {
        Map<Map<String, String>, String> cases = new HashMap<>();
        cases.put(Map.of(), "role");
        cases.put(Map.of("role", "x".repeat(64)), "role");
        cases.put(Map.of("role", "x".repeat(62), "strategy", "alternating"), "role");
        cases.put(Map.of("role", "ok\nno"), "role");
        cases.put(Map.of("role", "pg_monitor"), "role");
        cases.put(Map.of("role", "PUBLIC"), "role");
        cases.put(Map.of("role", "postgres"), "role");
        cases.put(Map.of("role", "ok", "strategy", "both"), "strategy");
        cases.put(Map.of("role", "ok", "group", "g"), "group");
        cases.put(Map.of("role", "ok", "strategy", "alternating", "group", "pg_read_all_data"), "group");
        cases.put(Map.of("role", "ok", "user", "u"), "user");
        cases.forEach((params, parameter) -> assertThatThrownBy(() -> target.validateBinding(binding(params)))
                .as(params.toString()).isInstanceOfSatisfying(InvalidBindingException.class,
                        e -> assertThat(e.parameter()).isEqualTo(parameter)));
        assertThatCode(() -> target.validateBinding(binding(Map.of("role", "x".repeat(63))))).doesNotThrowAnyException();
        assertThatCode(() -> target.validateBinding(binding(Map.of("role", "x".repeat(61), "strategy", "alternating"))))
                .doesNotThrowAnyException();
        assertThat(target.refusedCharacters(binding(Map.of("role", "ok")))).contains('\'', '\\');
    }

    @Test
    void quotingDoublesQuotes() {
        assertThat(RoleCatalog.quoteIdentifier("a\"b")).isEqualTo("\"a\"\"b\"");
        assertThat(RoleCatalog.quoteLiteral("it's")).isEqualTo("'it''s'");
        assertThatThrownBy(() -> RoleCatalog.quoteLiteral("a\\b")).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------ failures

    @Test
    void aServerThatIsDownGivesRetryableFailures() throws Exception {
        Target down = PostgresProbe.factory("jdbc:postgresql://127.0.0.1:" + PostgresProbe.closedPort() + "/test").build("pg-down");
        TargetBinding b = binding(Map.of("role", postgres.newRole(), "strategy", "alternating"));
        Secret v1 = password();
        for (Runnable op : List.<Runnable>of(() -> down.deliver(delivery(b, 1, v1)), () -> down.verify(delivery(b, 1, v1)),
                () -> down.revoke(revocation(b, 1, v1)), () -> down.discard(revocation(b, 1, v1)))) {
            TargetException e = catchThrowableOfType(TargetException.class, op::run);
            assertThat(e).isNotNull();
            assertThat(e.retryable()).isTrue();
            assertThat(e.getMessage()).contains("pg-down").doesNotContain(v1.reveal());
        }
    }

    @Test
    void permissionProblemsAreNotRetried() {
        // An admin role without CREATEROLE: a fresh login role of the test's own.
        String weak = postgres.newRole();
        Target admin = PostgresProbe.factory().build("pg-admin");
        TargetBinding weakBinding = binding(Map.of("role", weak));
        Secret weakPassword = password();
        admin.deliver(delivery(weakBinding, 1, weakPassword));
        PostgresRoleTargetFactory f = PostgresProbe.factory();
        f.setUser(weak);
        Target limited = f.build("pg-limited");
        TargetBinding b = binding(Map.of("role", postgres.newRole()));
        Secret v1 = password();
        TargetException e = catchThrowableOfType(TargetException.class, () -> limited.deliver(delivery(b, 1, v1)));
        assertThat(e).isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("pg-limited").contains("permission").doesNotContain(v1.reveal());
    }

    @Test
    void aCreateroleAdminDeliversAndVerifiesByLoginButCannotRecogniseVersionsToRevoke() throws Exception {
        String adminRole = postgres.newRole();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(PostgresProbe.URL, PostgresProbe.ADMIN, null);
             java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + RoleCatalog.quoteIdentifier(adminRole) + " LOGIN CREATEROLE");
        }
        PostgresRoleTargetFactory f = PostgresProbe.factory();
        f.setUser(adminRole);
        Target createrole = f.build("pg-createrole");
        String role = postgres.newRole();
        TargetBinding b = binding(Map.of("role", role, "strategy", "alternating"));
        Secret v1 = password();
        createrole.deliver(delivery(b, 1, v1));
        // pg_authid is out of its reach: the fresh login is the whole proof.
        createrole.verify(delivery(b, 1, v1));
        assertThat(PostgresProbe.works(role + "_a", v1.reveal())).isTrue();

        TargetException e = catchThrowableOfType(TargetException.class, () -> createrole.revoke(revocation(b, 1, v1)));
        assertThat(e).isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("pg-createrole").contains("superuser").doesNotContain(v1.reveal());
        assertThat(PostgresProbe.works(role + "_a", v1.reveal())).isTrue();
    }

    @Test
    void neverRevealsPasswords() {
        PostgresRoleTargetFactory f = PostgresProbe.factory("jdbc:postgresql://127.0.0.1:5432/test?password=hunter2");
        assertThat(f.build("pg-x").toString()).doesNotContain("hunter2");
        assertThat(f.toString()).doesNotContain("hunter2");
        assertThat(ScramVerifier.of("pw".toCharArray(), new byte[16], 4096).toString()).doesNotContain("SCRAM-SHA-256$");
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
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes()).contains(PostgresRoleTargetFactory.class);
        PostgresRoleTargetFactory f = (PostgresRoleTargetFactory) parse("type: postgres-role\n"
                + "url: jdbc:postgresql://db.internal:5432/app\nuser: rotakey\npassword:\n  env: ROTAKEY_PG_PASSWORD\n"
                + "connectTimeout: 3s\n");
        assertThat(f.getUser()).isEqualTo("rotakey");
        assertThat(f.getConnectTimeout().toSeconds()).isEqualTo(3);
        assertThat(f.getPassword()).isNotNull();
        assertThatThrownBy(() -> parse("type: postgres-role\nuser: u\n")).isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("url");
        assertThatThrownBy(() -> parse("type: postgres-role\nurl: jdbc:mysql://h/db\nuser: u\n"))
                .isInstanceOf(ConfigurationValidationException.class).hasMessageContaining("url");
    }

    @Test
    void claimsTheLoginRoles() {
        assertThat(target.claims(binding(Map.of("role", "reporting")))).containsExactly("role:reporting");
        assertThat(target.claims(binding(Map.of("role", "reporting", "strategy", "alternating", "group", "readers"))))
                .containsExactly("role:reporting_a", "role:reporting_b");
    }
}
