package dev.rotakey.targets.redis;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.config.SecretSource;
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
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The {@code redis-acl} target against the machine's real Redis: what agents see with their own
 * logins during a rotation, a Redis that is down, admin credentials that are refused, binding
 * checks, configuration, and that no password ever shows in a message.
 */
class RedisAclTargetIT {
    @TempDir
    Path tmp;

    private final RedisProbe redis = new RedisProbe();
    private final List<Target> opened = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        opened.forEach(Target::close);
        redis.close();
    }

    private Target target(int port) {
        Target t = RedisProbe.factory(port).build("redis-main");
        opened.add(t);
        return t;
    }

    private static Delivery delivery(TargetBinding b, int version, Secret password) {
        return new Delivery("agent-1", "cred-1", "password", version, b, password);
    }

    private static Revocation revocation(Target t, TargetBinding b, int version, Secret password) {
        String reference = t.materialReference(delivery(b, version, password));
        return new Revocation("agent-1", "cred-1", "password", version, b, content -> false, List.of(reference));
    }

    private static Secret password() {
        return Secret.of("pw-" + UUID.randomUUID().toString().replace("-", ""));
    }

    @Test
    void bothPasswordsWorkDuringTheGracePeriodAndOnlyTheNewOneAfterRevocation() {
        Target t = target(RedisProbe.PORT);
        String user = redis.newUser();
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", user));
        Secret v1 = password();
        Secret v2 = password();

        t.deliver(delivery(b, 1, v1));
        t.verify(delivery(b, 1, v1));
        assertThat(RedisProbe.authenticates(user, v1.reveal())).isTrue();

        t.deliver(delivery(b, 2, v2));
        t.verify(delivery(b, 2, v2));
        assertThat(RedisProbe.authenticates(user, v1.reveal())).isTrue();
        assertThat(RedisProbe.authenticates(user, v2.reveal())).isTrue();

        t.revoke(revocation(t, b, 1, v1));
        assertThat(RedisProbe.authenticates(user, v1.reveal())).isFalse();
        assertThat(RedisProbe.authenticates(user, v2.reveal())).isTrue();
        assertThat(RedisProbe.passwordCount(user)).isEqualTo(1);
    }

    @Test
    void revokingAnOldVersionSparesTheCurrentAndAPendingOne() {
        Target t = target(RedisProbe.PORT);
        String user = redis.newUser();
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", user));
        Secret v1 = password();
        Secret v2 = password();
        Secret v3 = password();
        t.deliver(delivery(b, 1, v1));
        t.deliver(delivery(b, 2, v2));
        t.deliver(delivery(b, 3, v3));

        t.revoke(revocation(t, b, 1, v1));

        assertThat(RedisProbe.authenticates(user, v1.reveal())).isFalse();
        assertThat(RedisProbe.authenticates(user, v2.reveal())).isTrue();
        assertThat(RedisProbe.authenticates(user, v3.reveal())).isTrue();
    }

    @Test
    void discardAfterAFailedRotationKeepsTheOldPasswordAndDropsThePendingOne() {
        Target t = target(RedisProbe.PORT);
        String user = redis.newUser();
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", user));
        Secret v1 = password();
        Secret v2 = password();
        t.deliver(delivery(b, 1, v1));
        t.deliver(delivery(b, 2, v2));

        t.discard(revocation(t, b, 2, v2));
        t.discard(revocation(t, b, 2, v2));

        assertThat(RedisProbe.authenticates(user, v1.reveal())).isTrue();
        assertThat(RedisProbe.authenticates(user, v2.reveal())).isFalse();
    }

    @Test
    void rulesApplyWhenTheUserIsCreatedAndAreLeftAloneAfterwards() {
        Target t = target(RedisProbe.PORT);
        String user = redis.newUser();
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", user, "rules", "~cache:* +get"));
        Secret v1 = password();
        t.deliver(delivery(b, 1, v1));
        assertThat(RedisProbe.callAs(user, v1.reveal(), "GET", "cache:x")).isNull();
        assertThat(RedisProbe.callAs(user, v1.reveal(), "GET", "other:x")).isEqualTo("NOPERM");
        assertThat(RedisProbe.callAs(user, v1.reveal(), "SET", "cache:x", "1")).isEqualTo("NOPERM");

        // An operator widens the user's rights; the next delivery must not undo that.
        RedisProbe.call("ACL", "SETUSER", user, "+set");
        Secret v2 = password();
        t.deliver(delivery(b, 2, v2));
        assertThat(RedisProbe.callAs(user, v2.reveal(), "SET", "cache:x", "1")).isNull();
        RedisProbe.call("DEL", "cache:x");
    }

    @Test
    void withoutRulesANewUserCanLogInButDoNothing() {
        Target t = target(RedisProbe.PORT);
        String user = redis.newUser();
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", user));
        Secret v1 = password();
        t.deliver(delivery(b, 1, v1));
        t.verify(delivery(b, 1, v1));
        assertThat(RedisProbe.callAs(user, v1.reveal(), "GET", "k")).isEqualTo("NOPERM");
    }

    @Test
    void aRedisThatIsDownGivesRetryableFailuresThatNameNoPassword() throws Exception {
        Target t = target(RedisProbe.closedPort());
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", redis.newUser()));
        Secret v1 = password();
        for (Runnable op : List.<Runnable>of(() -> t.deliver(delivery(b, 1, v1)), () -> t.verify(delivery(b, 1, v1)),
                () -> t.revoke(revocation(t, b, 1, v1)), () -> t.discard(revocation(t, b, 1, v1)))) {
            TargetException e = catchThrowableOfType(TargetException.class, op::run);
            assertThat(e).isNotNull();
            assertThat(e.retryable()).isTrue();
            assertThat(e.getMessage()).contains("redis-main").contains("unreachable").doesNotContain(v1.reveal());
        }
    }

    @Test
    void aWrongPasswordAtVerifyIsNotRetryable() {
        Target t = target(RedisProbe.PORT);
        String user = redis.newUser();
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", user));
        Secret v1 = password();
        Secret never = password();
        t.deliver(delivery(b, 1, v1));
        TargetException e = catchThrowableOfType(TargetException.class, () -> t.verify(delivery(b, 2, never)));
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("WRONGPASS").doesNotContain(never.reveal()).doesNotContain(v1.reveal());
    }

    @Test
    void refusedAdminCredentialsAreNotRetryableAndNameTheTarget() throws Exception {
        String admin = redis.newUser();
        String adminPassword = "admin-" + UUID.randomUUID();
        RedisProbe.call("ACL", "SETUSER", admin, "on", ">" + adminPassword, "+@all");
        Path file = Files.writeString(tmp.resolve("redis-admin"), "not-" + adminPassword + "\n");
        RedisAclTargetFactory f = RedisProbe.factory(RedisProbe.PORT);
        f.setUsername(admin);
        f.setPassword(SecretSource.fromFile(file.toString()));
        Target t = f.build("redis-main");
        opened.add(t);
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", redis.newUser()));
        Secret v1 = password();
        TargetException e = catchThrowableOfType(TargetException.class, () -> t.deliver(delivery(b, 1, v1)));
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("redis-main").contains("admin login").contains(admin)
                .doesNotContain(adminPassword).doesNotContain(v1.reveal());
        assertThat(t.toString()).doesNotContain(adminPassword).contains("[redacted]");

        // With the right password the same admin user does the work.
        Files.writeString(file, adminPassword + "\n");
        Target good = f.build("redis-main");
        opened.add(good);
        good.deliver(delivery(b, 1, v1));
        good.verify(delivery(b, 1, v1));
    }

    @Test
    void alwaysSavingFailsLoudlyOnAServerWithoutAnAclFile() {
        RedisAclTargetFactory f = RedisProbe.factory(RedisProbe.PORT);
        f.setSaveAclFile(RedisAclTarget.SaveAclFile.ALWAYS);
        Target t = f.build("redis-main");
        opened.add(t);
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", redis.newUser()));
        TargetException e = catchThrowableOfType(TargetException.class, () -> t.deliver(delivery(b, 1, password())));
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("saving the ACL file");
    }

    @Test
    void bindingsAreCheckedBeforeAnythingIsGenerated() {
        Target t = target(RedisProbe.PORT);
        Map<String, Map<String, String>> bad = new java.util.LinkedHashMap<>();
        bad.put("user", Map.of());
        bad.put("user ", Map.of("user", "two words"));
        bad.put(" user", Map.of("user", "ctl\u0001"));
        bad.put("user  ", Map.of("user", ">pw"));
        bad.put("  user", Map.of("user", "#abc"));
        bad.put("user   ", Map.of("user", "%R~x"));
        bad.put("   user", Map.of("user", "default"));
        bad.put("rules", Map.of("user", "ok", "rules", "+@read >sneaky"));
        bad.put("rules ", Map.of("user", "ok", "rules", "nopass"));
        bad.put(" rules", Map.of("user", "ok", "rules", "resetpass"));
        bad.put("refuse", Map.of("user", "ok", "refuse", "a b"));
        bad.put("path", Map.of("user", "ok", "path", "x"));
        for (Map.Entry<String, Map<String, String>> e : bad.entrySet()) {
            assertThatThrownBy(() -> t.validateBinding(new TargetBinding("redis-main", e.getValue())))
                    .as(e.getKey())
                    .isInstanceOf(InvalidBindingException.class)
                    .hasFieldOrPropertyWithValue("parameter", e.getKey().trim());
        }
        assertThatCode(() -> t.validateBinding(new TargetBinding("redis-main",
                Map.of("user", "billing-agent", "rules", "~cache:* +@read", "refuse", "~.")))).doesNotThrowAnyException();
        assertThat(t.refusedCharacters(new TargetBinding("redis-main", Map.of("user", "a", "refuse", "~."))))
                .containsExactlyInAnyOrder('~', '.');
        assertThat(t.refusedCharacters(new TargetBinding("redis-main", Map.of("user", "a")))).isEmpty();
    }

    @Test
    void theReferenceIsAShortPrefixOfWhatRedisStores() {
        Target t = target(RedisProbe.PORT);
        String user = redis.newUser();
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", user));
        Secret v1 = password();
        t.deliver(delivery(b, 1, v1));
        String reference = t.materialReference(delivery(b, 1, v1));
        assertThat(reference).hasSize(8).matches("[0-9a-f]{8}");
        String full = java.util.HexFormat.of().formatHex(RedisAclTarget.sha256(v1.reveal().getBytes(StandardCharsets.UTF_8)));
        assertThat(full).startsWith(reference);
        assertThat(RedisProbe.call("ACL", "GETUSER", user).toString()).doesNotContain(v1.reveal());
    }

    @Test
    void aRevocationWithoutAReferenceRemovesNothingAndSaysWhy() {
        Target t = target(RedisProbe.PORT);
        String user = redis.newUser();
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", user));
        Secret v1 = password();
        t.deliver(delivery(b, 1, v1));
        TargetException e = catchThrowableOfType(TargetException.class,
                () -> t.revoke(new Revocation("agent-1", "cred-1", "password", 1, b, content -> true)));
        assertThat(e.retryable()).isFalse();
        assertThat(RedisProbe.authenticates(user, v1.reveal())).isTrue();
    }

    @Test
    void certificatesAreRefused() {
        Target t = target(RedisProbe.PORT);
        TargetBinding b = new TargetBinding("redis-main", Map.of("user", redis.newUser()));
        Delivery cert = new Delivery("agent-1", "cred-1", "certificate", 1, b, Secret.of("-----BEGIN CERTIFICATE-----"));
        assertThatThrownBy(() -> t.deliver(cert)).isInstanceOf(TargetException.class).hasMessageContaining("not certificates");
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
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes()).contains(RedisAclTargetFactory.class);
        RedisAclTargetFactory f = (RedisAclTargetFactory) parse("type: redis-acl\nhost: 127.0.0.1\nusername: rotakey\n"
                + "password:\n  env: ROTAKEY_REDIS_PASSWORD\nconnectTimeout: 3s\nsaveAclFile: always\n");
        assertThat(f.getPort()).isEqualTo(6379);
        assertThat(f.getUsername()).isEqualTo("rotakey");
        assertThat(f.getConnectTimeout().toSeconds()).isEqualTo(3);
        assertThat(f.getSaveAclFile()).isEqualTo(RedisAclTarget.SaveAclFile.ALWAYS);
        RedisAclTargetFactory defaults = (RedisAclTargetFactory) parse("type: redis-acl\nhost: redis.internal\n");
        assertThat(defaults.getSaveAclFile()).isEqualTo(RedisAclTarget.SaveAclFile.AUTO);
        assertThat(defaults.getPassword()).isNull();
    }

    @Test
    void yamlMistakesAreRefused() {
        assertThatThrownBy(() -> parse("type: redis-acl\n")).isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("host");
        assertThatThrownBy(() -> parse("type: redis-acl\nhost: h\nport: 70000\n"))
                .isInstanceOf(ConfigurationValidationException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> parse("type: redis-acl\nhost: h\nsaveAclFile: sometimes\n"))
                .hasMessageContaining("saveAclFile");
        assertThatThrownBy(() -> parse("type: redis-acl\nhost: h\ntls: true\n")).hasMessageContaining("tls");
    }

    @Test
    void claimsTheUser() {
        assertThat(target(RedisProbe.PORT).claims(new TargetBinding("redis-main", Map.of("user", "billing-agent"))))
                .containsExactly("user:billing-agent");
    }
}
