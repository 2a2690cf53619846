package dev.rotakey.backend.vault;

import dev.rotakey.backend.KeyBackendAuthenticationException;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.VaultTestServer;
import dev.rotakey.vault.VaultPermissionDeniedException;
import dev.rotakey.vault.VaultResponse;
import dev.rotakey.vault.VaultSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link VaultSession} through the {@code vault-transit} backend: AppRole login, renewal at 2/3 of
 * the lease, a fresh login when renewal cannot help, static tokens, the meaning of Vault's error
 * statuses, and secrets that never reach logs, {@code toString} or exception messages. Time is a
 * {@link TestClock} shared with the server; renewal is driven by calling
 * {@link VaultSession#renewIfDue()} directly.
 */
class VaultSessionTest {
    private static final byte[] DATA = "material".getBytes(StandardCharsets.UTF_8);
    private static final Instant START = Instant.parse("2026-12-02T12:00:00Z");

    @TempDir
    Path tmp;

    private final TestClock clock = new TestClock(START);
    private VaultTestServer vault;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void startVault() {
        vault = VaultTestServer.start();
        vault.setClock(clock);
    }

    @AfterEach
    void stopVault() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        vault.stop();
    }

    private VaultTransitKeyBackend appRoleBackend() {
        VaultTransitKeyBackend b = VaultFixtures.withTimeouts(VaultFixtures.appRoleConfig(vault.address(), tmp)).build("vault", clock);
        closing.add(b);
        return b;
    }

    private VaultTransitKeyBackend tokenBackend(String token) {
        VaultTransitKeyBackend b = VaultFixtures.withTimeouts(VaultFixtures.tokenConfig(vault.address(), tmp, token)).build("vault", clock);
        closing.add(b);
        return b;
    }

    private VaultSession rootSession() {
        VaultSession s = VaultFixtures.tokenConfig(vault.address(), tmp.resolve(".."), vault.rootToken()).open("root", clock);
        closing.add(s);
        return s;
    }

    // --- AppRole and renewal ---

    @Test
    void anAppRoleTokenIsRenewedAtTwoThirdsOfItsLease() {
        vault.enableAppRole(VaultFixtures.ROLE_ID, VaultFixtures.SECRET_ID, Duration.ofHours(1), true, Duration.ofHours(24));
        VaultTransitKeyBackend backend = appRoleBackend();
        backend.start();
        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
        VaultSession session = backend.session();
        assertThat(vault.requests("auth/approle/login")).isEqualTo(1);
        assertThat(session.tokenExpiry()).contains(START.plus(Duration.ofHours(1)));

        clock.advance(Duration.ofMinutes(39));
        assertThat(session.renewIfDue()).isEqualTo(START.plus(Duration.ofMinutes(40)));
        assertThat(vault.requests("auth/token/renew-self")).isZero();

        clock.advance(Duration.ofMinutes(2));
        Instant next = session.renewIfDue();

        assertThat(vault.requests("auth/token/renew-self")).isEqualTo(1);
        assertThat(vault.requests("auth/approle/login")).isEqualTo(1);
        Instant renewedAt = START.plus(Duration.ofMinutes(41));
        assertThat(session.tokenExpiry()).contains(renewedAt.plus(Duration.ofHours(1)));
        assertThat(next).isEqualTo(renewedAt.plus(Duration.ofMinutes(40)));
        // The renewed token works past the original expiry.
        clock.advance(Duration.ofMinutes(30));
        assertThat(backend.hmac(DATA)).hasSize(32);
        assertThat(vault.requests("auth/approle/login")).isEqualTo(1);
    }

    @Test
    void whenTheMaxTtlCapsRenewalTheSessionLogsInAgain() {
        vault.enableAppRole(VaultFixtures.ROLE_ID, VaultFixtures.SECRET_ID, Duration.ofHours(1), true, Duration.ofMinutes(90));
        VaultTransitKeyBackend backend = appRoleBackend();
        backend.start();
        VaultSession session = backend.session();

        clock.advance(Duration.ofMinutes(41));
        session.renewIfDue();
        assertThat(vault.requests("auth/token/renew-self")).isEqualTo(1);
        // Capped at the 90 minutes of max TTL: 49 minutes granted.
        assertThat(session.tokenExpiry()).contains(START.plus(Duration.ofMinutes(90)));

        clock.advance(Duration.ofMinutes(33));
        session.renewIfDue();

        assertThat(vault.requests("auth/token/renew-self")).isEqualTo(1);
        assertThat(vault.requests("auth/approle/login")).isEqualTo(2);
        assertThat(session.tokenExpiry()).contains(START.plus(Duration.ofMinutes(74)).plus(Duration.ofHours(1)));
        clock.advance(Duration.ofMinutes(30));
        assertThat(backend.hmac(DATA)).hasSize(32);
    }

    @Test
    void aNonRenewableAppRoleTokenIsReplacedByAFreshLogin() {
        vault.enableAppRole(VaultFixtures.ROLE_ID, VaultFixtures.SECRET_ID, Duration.ofMinutes(30), false, Duration.ZERO);
        VaultTransitKeyBackend backend = appRoleBackend();
        backend.start();

        clock.advance(Duration.ofMinutes(21));
        backend.session().renewIfDue();

        assertThat(vault.requests("auth/token/renew-self")).isZero();
        assertThat(vault.requests("auth/approle/login")).isEqualTo(2);
    }

    @Test
    void anExpiredTokenIsReplacedLazilyBeforeTheNextCall() {
        vault.enableAppRole(VaultFixtures.ROLE_ID, VaultFixtures.SECRET_ID, Duration.ofHours(1), true, Duration.ZERO);
        VaultTransitKeyBackend backend = appRoleBackend();
        backend.start();
        byte[] before = backend.hmac(DATA);

        // The scheduler never ran (a suspended machine): the token is long dead.
        clock.advance(Duration.ofHours(5));

        assertThat(backend.hmac(DATA)).isEqualTo(before);
        assertThat(vault.requests("auth/approle/login")).isEqualTo(2);
        assertThat(backend.status().healthy()).isTrue();
    }

    @Test
    void aDueTokenIsRenewedLazilyBeforeTheNextCall() {
        vault.enableAppRole(VaultFixtures.ROLE_ID, VaultFixtures.SECRET_ID, Duration.ofHours(1), true, Duration.ZERO);
        VaultTransitKeyBackend backend = appRoleBackend();
        backend.start();

        clock.advance(Duration.ofMinutes(45));
        backend.randomBytes(4);

        assertThat(vault.requests("auth/token/renew-self")).isEqualTo(1);
        assertThat(vault.requests("auth/approle/login")).isEqualTo(1);
    }

    @Test
    void aDeniedPathIsTriedOnceMoreAfterAFreshAppRoleLogin() {
        vault.enableAppRole(VaultFixtures.ROLE_ID, VaultFixtures.SECRET_ID, Duration.ofHours(1), true, Duration.ZERO);
        VaultTransitKeyBackend backend = appRoleBackend();
        backend.start();
        SigningKey key = backend.createSigningKey("rotakey-ca-agents-3-01020304", KeySpec.EC_P256);
        vault.deny("transit/sign/rotakey-ca-agents-3");

        assertThatThrownBy(() -> key.sign(DATA))
                .isInstanceOf(VaultPermissionDeniedException.class)
                .hasMessageContaining("permission denied on transit/sign/rotakey-ca-agents-3-01020304");

        assertThat(vault.requests("auth/approle/login")).isEqualTo(2);
        assertThat(vault.requests("transit/sign/")).isEqualTo(2);
    }

    @Test
    void aRefusedAppRoleLoginIsAnAuthenticationFailureThatReconnectRetriesWithTheFixedSecret() {
        vault.enableAppRole(VaultFixtures.ROLE_ID, "the-right-secret-id", Duration.ofHours(1), true, Duration.ZERO);
        VaultTransitKeyBackend backend = appRoleBackend();

        backend.start();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).contains("AppRole login at auth/approle/login refused")
                .contains("invalid role or secret ID").doesNotContain(VaultFixtures.SECRET_ID);
        assertThatThrownBy(() -> backend.hmac(DATA)).isInstanceOf(KeyBackendAuthenticationException.class);

        VaultFixtures.write(tmp.resolve("vault-secret-id"), "the-right-secret-id\n");
        assertThat(backend.reconnect().healthy()).isTrue();
    }

    @Test
    void aLoginRefusedAfterExpiryMakesTheBackendUnhealthyUntilTheSecretIdIsFixed() {
        vault.enableAppRole(VaultFixtures.ROLE_ID, VaultFixtures.SECRET_ID, Duration.ofHours(1), true, Duration.ZERO);
        VaultTransitKeyBackend backend = appRoleBackend();
        backend.start();
        VaultFixtures.write(tmp.resolve("vault-secret-id"), "a-revoked-secret-id\n");
        clock.advance(Duration.ofHours(2));

        assertThatThrownBy(() -> backend.hmac(DATA))
                .isInstanceOfSatisfying(KeyBackendAuthenticationException.class, e -> assertThat(e.retryable()).isFalse())
                .hasMessageContaining("invalid role or secret ID");
        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).contains("AppRole login").doesNotContain("a-revoked-secret-id");

        VaultFixtures.write(tmp.resolve("vault-secret-id"), VaultFixtures.SECRET_ID + "\n");
        assertThat(backend.reconnect().healthy()).isTrue();
        assertThat(backend.hmac(DATA)).hasSize(32);
    }

    // --- static tokens ---

    @Test
    void aRenewableStaticTokenIsRenewed() {
        String token = vault.createToken(Duration.ofHours(1), true, Duration.ZERO);
        VaultTransitKeyBackend backend = tokenBackend(token);
        backend.start();
        assertThat(backend.session().tokenExpiry()).contains(START.plus(Duration.ofHours(1)));

        clock.advance(Duration.ofMinutes(41));
        backend.session().renewIfDue();

        assertThat(vault.requests("auth/token/renew-self")).isEqualTo(1);
        assertThat(backend.session().tokenProblem()).isEmpty();
        clock.advance(Duration.ofMinutes(50));
        assertThat(backend.hmac(DATA)).hasSize(32);
    }

    @Test
    void aStaticTokenThatCannotBeRenewedIsReportedBeforeAndAfterItExpires() {
        String token = vault.createToken(Duration.ofHours(1), false, Duration.ZERO);
        VaultTransitKeyBackend backend = tokenBackend(token);
        try (VaultFixtures.CapturedLogs logs = new VaultFixtures.CapturedLogs()) {
            backend.start();

            clock.advance(Duration.ofMinutes(41));
            backend.session().renewIfDue();
            backend.session().renewIfDue();

            assertThat(vault.requests("auth/token/renew-self")).isZero();
            assertThat(backend.status().healthy()).isTrue();
            assertThat(backend.status().message()).contains("warning").contains("not renewable")
                    .contains(START.plus(Duration.ofHours(1)).toString());
            // Warned once, not at every check.
            assertThat(logs.text().split("is not renewable", -1)).hasSize(2);

            clock.advance(Duration.ofMinutes(20));
            backend.session().renewIfDue();

            assertThat(backend.status().healthy()).isFalse();
            assertThat(backend.status().message()).contains("expired");
            assertThatThrownBy(() -> backend.hmac(DATA)).isInstanceOf(VaultPermissionDeniedException.class);
            assertThat(logs.text()).doesNotContain(token);
        }
    }

    @Test
    void theRootTokenNeverExpiresAndIsNeverRenewed() {
        VaultTransitKeyBackend backend = tokenBackend(vault.rootToken());
        backend.start();

        clock.advance(Duration.ofDays(400));
        backend.session().renewIfDue();

        assertThat(backend.session().tokenExpiry()).isEmpty();
        assertThat(vault.requests("auth/token/renew-self")).isZero();
        assertThat(backend.hmac(DATA)).hasSize(32);
    }

    // --- error meanings ---

    @Test
    void vaultsStatusesMapToRetryableOrNot() {
        VaultSession s = rootSession();

        vault.failNext(503, 1);
        assertThatThrownBy(() -> s.read("transit/keys")).isInstanceOf(KeyBackendUnavailableException.class).hasMessageContaining("503");
        vault.failNext(502, 1);
        assertThatThrownBy(() -> s.read("transit/keys")).isInstanceOf(KeyBackendUnavailableException.class).hasMessageContaining("502");
        vault.failNext(429, 1);
        assertThatThrownBy(() -> s.read("transit/keys")).isInstanceOf(KeyBackendUnavailableException.class).hasMessageContaining("429");

        assertThatThrownBy(() -> s.write("transit/keys/bad", Map.of("type", "rot13")))
                .isInstanceOfSatisfying(KeyBackendException.class, e -> assertThat(e.retryable()).isFalse())
                .hasMessageContaining("400").hasMessageContaining("unknown key type rot13")
                .hasMessageContaining("transit/keys/bad");

        VaultResponse missing = s.read("transit/keys/absent");
        assertThat(missing.found()).isFalse();
        assertThat(missing.status()).isEqualTo(404);
    }

    @Test
    void listAnd204AnswersWork() {
        VaultSession s = rootSession();
        s.write("transit/keys/one", Map.of("type", "ecdsa-p256"));
        s.write("transit/keys/two", Map.of("type", "ecdsa-p256"));

        VaultResponse listed = s.list("transit/keys");
        List<String> names = new ArrayList<>();
        listed.data().path("keys").forEach(n -> names.add(n.asText()));
        assertThat(names).contains("one", "two");

        s.write("transit/keys/one/rotate", Map.of());
        s.write("transit/keys/one/config", Map.of("min_decryption_version", 2, "min_encryption_version", 2));
        VaultResponse trimmed = s.write("transit/keys/one/trim", Map.of("min_available_version", 2));
        assertThat(trimmed.status()).isEqualTo(204);
        assertThat(trimmed.found()).isTrue();
        assertThat(trimmed.data().isMissingNode()).isTrue();
    }

    @Test
    void aNamespaceTravelsInItsHeaderAndInTheKeyUri() {
        VaultTransitKeyBackendFactory f = VaultFixtures.tokenConfig(vault.address(), tmp, vault.rootToken());
        f.setNamespace("team-a");
        VaultTransitKeyBackend backend = f.build("vault", clock);
        closing.add(backend);
        assertThat(backend.keyUri("k")).isEqualTo("vault:" + vault.address() + "/v1/team-a/transit/keys/k");
        assertThat(backend.session().namespace()).contains("team-a");
    }

    // --- secrets ---

    @Test
    void tokensSecretIdsAndRequestBodiesNeverAppearInLogsToStringOrMessages() {
        vault.enableAppRole(VaultFixtures.ROLE_ID, VaultFixtures.SECRET_ID, Duration.ofHours(1), true, Duration.ofMinutes(90));
        List<String> texts = new ArrayList<>();
        String bodyMarker = Base64.getEncoder().encodeToString("a-request-body-marker".getBytes(StandardCharsets.UTF_8));
        try (VaultFixtures.CapturedLogs logs = new VaultFixtures.CapturedLogs()) {
            VaultTransitKeyBackend backend = appRoleBackend();
            backend.start();
            SigningKey key = backend.createSigningKey("k1", KeySpec.EC_P256);
            texts.add(backend.toString());
            texts.add(backend.session().toString());
            texts.add(key.toString());

            clock.advance(Duration.ofMinutes(41));
            backend.session().renewIfDue();
            clock.advance(Duration.ofMinutes(40));
            backend.session().renewIfDue();
            texts.add(backend.session().toString());

            vault.deny("transit/sign/");
            texts.add(messageOf(() -> key.sign(DATA)));
            vault.allowAll();
            vault.seal();
            texts.add(messageOf(() -> backend.hmac(DATA)));
            texts.add(backend.status().message());
            vault.unseal();
            texts.add(messageOf(() -> backend.session().write("transit/sign/nope", Map.of("input", bodyMarker))));
            texts.add(messageOf(() -> backend.session().write("transit/keys/bad", Map.of("type", bodyMarker))));
            backend.close();
            texts.add(logs.text());
        }
        // Every token the test server issues starts with hvs.
        assertThat(texts).allSatisfy(t -> assertThat(t)
                .doesNotContain("hvs.")
                .doesNotContain(VaultFixtures.SECRET_ID)
                .doesNotContain(bodyMarker));
        assertThat(String.join("\n", texts)).contains("Renewed the Vault token").contains("permission denied on transit/sign/k1");
    }

    private static String messageOf(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            return e.toString();
        }
        throw new AssertionError("expected an exception");
    }
}
