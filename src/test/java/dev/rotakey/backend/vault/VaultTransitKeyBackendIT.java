package dev.rotakey.backend.vault;

import com.codahale.metrics.health.HealthCheck;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.backend.KeyBackendAuthenticationException;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.ca.RootCertificateBuilder;
import dev.rotakey.health.KeyBackendHealthCheck;
import dev.rotakey.testing.OpenSsl;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.VaultTestServer;
import dev.rotakey.vault.VaultPermissionDeniedException;
import dev.rotakey.vault.VaultResponse;
import dev.rotakey.vault.VaultSession;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code vault-transit} backend against the in-process {@link VaultTestServer}: random bytes, a
 * pinned non-exportable HMAC key, signing with every {@link KeySpec} checked by the plain JDK and by
 * OpenSSL, key versions, and how sealing, 5xx and 403 show in exceptions and health.
 */
class VaultTransitKeyBackendIT {
    private static final byte[] DATA = "tbs-certificate bytes".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    private VaultTestServer vault;
    private VaultTransitKeyBackend backend;
    /** A root-token session of the test's own, to look at Vault's side of things. */
    private VaultSession admin;

    @BeforeEach
    void startVault() {
        vault = VaultTestServer.start();
        backend = build();
        backend.start();
        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
        admin = VaultFixtures.tokenConfig(vault.address(), tmp, vault.rootToken()).open("admin");
    }

    @AfterEach
    void stopVault() {
        backend.close();
        admin.close();
        vault.stop();
    }

    private VaultTransitKeyBackend build() {
        return VaultFixtures.withTimeouts(VaultFixtures.tokenConfig(vault.address(), tmp, vault.rootToken()))
                .build("vault", Clock.systemUTC());
    }

    // --- HMAC and random ---

    @Test
    void theHmacKeyIsCreatedOnFirstStartAsANonExportableHmacKey() {
        JsonNode key = admin.read("transit/keys/rotakey-hmac").data();
        assertThat(key.path("type").asText()).isEqualTo("hmac");
        assertThat(key.path("exportable").asBoolean(true)).isFalse();
        assertThat(key.path("latest_version").asInt()).isEqualTo(1);
        assertThat(backend.hmacKeyId()).isEqualTo("vault-transit:transit/rotakey-hmac/v1");
        assertThat(backend.status().message()).contains("rotakey-hmac").contains("v1");
    }

    @Test
    void hmacIsDeterministicAndVaultVerifiesIt() {
        byte[] a = backend.hmac(DATA);
        assertThat(a).hasSize(32).isEqualTo(backend.hmac(DATA));
        assertThat(backend.hmac("other".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(a);

        VaultResponse verified = admin.write("transit/verify/rotakey-hmac/sha2-256", Map.of(
                "input", Base64.getEncoder().encodeToString(DATA),
                "hmac", "vault:v1:" + Base64.getEncoder().encodeToString(a)));
        assertThat(verified.data().path("valid").asBoolean()).isTrue();
    }

    @Test
    void hmacStaysTheSameAcrossRestartsAndAnOutsideRotation() {
        byte[] before = backend.hmac(DATA);
        backend.close();
        admin.write("transit/keys/rotakey-hmac/rotate", Map.of());

        backend = build();
        backend.start();

        assertThat(backend.hmac(DATA)).isEqualTo(before);
        assertThat(backend.hmacKeyId()).isEqualTo("vault-transit:transit/rotakey-hmac/v1");
        assertThat(admin.read("transit/keys/rotakey-hmac").data().path("latest_version").asInt()).isEqualTo(2);
    }

    @Test
    void anExportableHmacKeyIsRefusedAtStart() {
        backend.close();
        admin.write("transit/keys/leaky", Map.of("type", "hmac", "exportable", true));
        VaultTransitKeyBackendFactory f = VaultFixtures.tokenConfig(vault.address(), tmp, vault.rootToken());
        f.setHmacKey("leaky");
        backend = f.build("vault", Clock.systemUTC());
        backend.start();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).contains("leaky").contains("exportable");
        assertThatThrownBy(() -> backend.hmac(DATA)).isInstanceOf(KeyBackendUnavailableException.class);
    }

    @Test
    void randomBytesComeFromTransitRandom() {
        int before = vault.requests("transit/random");
        byte[] a = backend.randomBytes(32);
        byte[] b = backend.randomBytes(32);

        assertThat(a).hasSize(32).isNotEqualTo(b);
        assertThat(backend.randomBytes(1000)).hasSize(1000);
        assertThat(backend.randomBytes(0)).isEmpty();
        assertThat(vault.requests("transit/random")).isEqualTo(before + 3);
        assertThatThrownBy(() -> backend.randomBytes(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    // --- signing keys ---

    @ParameterizedTest
    @EnumSource(KeySpec.class)
    void everySpecSignsWhatThePlainJdkVerifies(KeySpec spec) throws Exception {
        SigningKey key = backend.createSigningKey("test-" + spec.name().toLowerCase().replace('_', '-'), spec);

        assertThat(key.spec()).isEqualTo(spec);
        assertThat(KeySpec.of(key.publicKey())).contains(spec);
        byte[] signature = key.sign(DATA);

        Signature verifier = Signature.getInstance(spec.signatureAlgorithm());
        verifier.initVerify(key.publicKey());
        verifier.update(DATA);
        assertThat(verifier.verify(signature)).as(spec + " signature verifies").isTrue();

        JsonNode stored = admin.read("transit/keys/" + key.alias()).data();
        assertThat(stored.path("exportable").asBoolean(true)).isFalse();
    }

    @Test
    void aKeyFoundAgainByAliasSignsWithoutReadingTheKeyPerSignature() throws Exception {
        SigningKey created = backend.createSigningKey("rotakey-ca-agents-1-0a1b2c3d", KeySpec.EC_P384);
        backend.close();
        backend = build();
        backend.start();

        SigningKey found = backend.signingKey("rotakey-ca-agents-1-0a1b2c3d").orElseThrow();
        assertThat(found.publicKey()).isEqualTo(created.publicKey());
        assertThat(found.spec()).isEqualTo(KeySpec.EC_P384);

        int reads = vault.requests("transit/keys/rotakey-ca-agents-1-0a1b2c3d");
        for (int i = 0; i < 5; i++) {
            byte[] sig = backend.signingKey("rotakey-ca-agents-1-0a1b2c3d").orElseThrow().sign(DATA);
            Signature v = Signature.getInstance("SHA384withECDSA");
            v.initVerify(created.publicKey());
            v.update(DATA);
            assertThat(v.verify(sig)).isTrue();
        }
        assertThat(vault.requests("transit/keys/rotakey-ca-agents-1-0a1b2c3d")).isEqualTo(reads);
        assertThat(vault.requests("transit/sign/rotakey-ca-agents-1-0a1b2c3d")).isEqualTo(5);
    }

    @Test
    void anExistingAliasIsRefused() {
        backend.createSigningKey("taken", KeySpec.EC_P256);
        admin.write("transit/keys/made-elsewhere", Map.of("type", "ecdsa-p256"));

        assertThatThrownBy(() -> backend.createSigningKey("taken", KeySpec.EC_P256))
                .isInstanceOfSatisfying(KeyBackendException.class, e -> assertThat(e.retryable()).isFalse())
                .hasMessageContaining("'taken' already exists");
        assertThatThrownBy(() -> backend.createSigningKey("made-elsewhere", KeySpec.RSA_2048))
                .isInstanceOf(KeyBackendException.class)
                .hasMessageContaining("already exists");
    }

    @Test
    void aMissingKeyOrAKeyOfAnotherKindIsEmpty() {
        admin.write("transit/keys/an-aes-key", Map.of("type", "aes256-gcm96"));

        assertThat(backend.signingKey("no-such-key")).isEmpty();
        assertThat(backend.signingKey("an-aes-key")).isEmpty();
        assertThat(backend.signingKey("rotakey-hmac")).isEmpty();
        assertThatThrownBy(() -> backend.signingKey("bad/alias")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDestroyedKeyIsGoneAndItsOldHandleFailsClearly() {
        SigningKey key = backend.createSigningKey("short-lived", KeySpec.EC_P256);
        backend.destroySigningKey("short-lived");

        assertThat(admin.read("transit/keys/short-lived").found()).isFalse();
        assertThat(backend.signingKey("short-lived")).isEmpty();
        assertThatThrownBy(() -> key.sign(DATA))
                .isInstanceOfSatisfying(KeyBackendException.class, e -> assertThat(e.retryable()).isFalse())
                .hasMessageContaining("transit/sign/short-lived")
                .hasMessageContaining("signing key not found");
        // Destroying what is not there does nothing.
        backend.destroySigningKey("short-lived");
        backend.destroySigningKey("never-existed");
        assertThat(backend.status().healthy()).isTrue();
    }

    @Test
    void keyUriNamesTheKeysVaultUrl() {
        assertThat(backend.keyUri("rotakey-leaf-c1-2-00ff00ff"))
                .isEqualTo("vault:" + vault.address() + "/v1/transit/keys/rotakey-leaf-c1-2-00ff00ff");
    }

    @Test
    void aRotatedKeyKeepsSigningWithItsPinnedVersionUntilOldVersionsAreRetired() throws Exception {
        SigningKey v1 = backend.createSigningKey("rotating", KeySpec.EC_P256);

        assertThat(backend.rotateKey("rotating")).isEqualTo(2);
        // A fresh process still sees version 1: the public key in a certificate stays valid.
        backend.close();
        backend = build();
        backend.start();
        SigningKey found = backend.signingKey("rotating").orElseThrow();
        assertThat(found.publicKey()).isEqualTo(v1.publicKey());
        assertVerifies(found, v1.publicKey());
        SigningKey v2 = backend.signingKey("rotating", 2).orElseThrow();
        assertThat(v2.publicKey()).isNotEqualTo(v1.publicKey());
        assertVerifies(v2, v2.publicKey());

        backend.retireVersionsBelow("rotating", 2);

        JsonNode stored = admin.read("transit/keys/rotating").data();
        assertThat(stored.path("min_available_version").asInt()).isEqualTo(2);
        assertThat(stored.path("min_decryption_version").asInt()).isEqualTo(2);
        assertThat(stored.path("keys").has("1")).isFalse();
        SigningKey now = backend.signingKey("rotating").orElseThrow();
        assertThat(now.publicKey()).isEqualTo(v2.publicKey());
        assertVerifies(now, v2.publicKey());
        assertThat(backend.signingKey("rotating", 1)).isEmpty();
        // A handle taken before the retirement still names version 1, which Vault now refuses.
        assertThatThrownBy(() -> found.sign(DATA))
                .isInstanceOfSatisfying(KeyBackendException.class, e -> assertThat(e.retryable()).isFalse())
                .hasMessageContaining("transit/sign/rotating")
                .hasMessageContaining("minimum encryption key version");
        // Retiring again is a no-op; asking for a version beyond the latest is refused.
        backend.retireVersionsBelow("rotating", 2);
        assertThatThrownBy(() -> backend.retireVersionsBelow("rotating", 3)).hasMessageContaining("no version 3");
    }

    private static void assertVerifies(SigningKey key, java.security.PublicKey with) throws Exception {
        byte[] sig = key.sign(DATA);
        Signature v = Signature.getInstance(key.spec().signatureAlgorithm());
        v.initVerify(with);
        v.update(DATA);
        assertThat(v.verify(sig)).isTrue();
    }

    // --- certificates ---

    @ParameterizedTest
    @EnumSource(value = KeySpec.class, names = {"EC_P384", "RSA_2048"})
    void aRootCaSignedInVaultSatisfiesOpenSsl(KeySpec spec) throws Exception {
        SigningKey key = backend.createSigningKey("rotakey-ca-test-1-" + spec.name().toLowerCase().replace('_', '-'), spec);
        X500Name subject = CertificateAuthorityFactory.parseSubject("CN=Rotakey Vault CA,O=Rotakey");
        // OpenSSL checks validity against the real clock.
        X509Certificate cert = new RootCertificateBuilder(new SecureRandom(), Clock.systemUTC())
                .build(key, subject, Duration.ofDays(30));
        cert.verify(key.publicKey());

        Path pem = Files.writeString(tmp.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        OpenSsl.Result r = OpenSsl.run(tmp, "verify", "-x509_strict", "-CAfile", pem.toString(), pem.toString()).ok();
        assertThat(r.output()).contains("OK");
        assertThat(OpenSsl.run(tmp, "x509", "-in", pem.toString(), "-noout", "-text").ok().output())
                .contains("CA:TRUE").contains(spec == KeySpec.EC_P384 ? "ecdsa-with-SHA384" : "sha256WithRSAEncryption");
    }

    // --- availability and health ---

    @Test
    void aSealedVaultIsRetryableAndUnhealthyUntilACallSucceedsAgain() throws Exception {
        KeyBackendHealthCheck health = new KeyBackendHealthCheck(backend);
        vault.seal();

        assertThatThrownBy(() -> backend.hmac(DATA))
                .isInstanceOfSatisfying(KeyBackendUnavailableException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessageContaining("sealed");
        HealthCheck.Result sick = health.execute();
        assertThat(sick.isHealthy()).isFalse();
        assertThat(sick.getMessage()).contains("sealed");
        assertThatThrownBy(() -> backend.createSigningKey("while-sealed", KeySpec.EC_P256))
                .isInstanceOf(KeyBackendUnavailableException.class);

        vault.unseal();
        backend.hmac(DATA);

        assertThat(health.execute().isHealthy()).isTrue();
    }

    @Test
    void reconnectMakesASealedThenUnsealedVaultHealthyAgain() {
        vault.seal();
        assertThatThrownBy(() -> backend.randomBytes(8)).isInstanceOf(KeyBackendUnavailableException.class);
        assertThat(backend.reconnect().healthy()).isFalse();

        vault.unseal();

        assertThat(backend.reconnect().healthy()).isTrue();
        assertThat(backend.status().healthy()).isTrue();
    }

    @Test
    void serverErrorsAndRateLimitsAreRetryableAndFlipHealth() {
        vault.failNext(500, 1);
        assertThatThrownBy(() -> backend.randomBytes(8))
                .isInstanceOfSatisfying(KeyBackendUnavailableException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessageContaining("500");
        assertThat(backend.status().healthy()).isFalse();
        backend.randomBytes(8);
        assertThat(backend.status().healthy()).isTrue();

        vault.failNext(429, 1);
        assertThatThrownBy(() -> backend.hmac(DATA))
                .isInstanceOf(KeyBackendUnavailableException.class)
                .hasMessageContaining("429");
        backend.hmac(DATA);
        assertThat(backend.status().healthy()).isTrue();
    }

    @Test
    void aDeniedPathIsNotRetryableAndNamesThePath() {
        SigningKey key = backend.createSigningKey("rotakey-ca-agents-2-feedbeef", KeySpec.EC_P256);
        vault.deny("transit/sign/");

        assertThatThrownBy(() -> key.sign(DATA))
                .isInstanceOfSatisfying(VaultPermissionDeniedException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.path()).isEqualTo("transit/sign/rotakey-ca-agents-2-feedbeef");
                })
                .hasMessageContaining("permission denied on transit/sign/rotakey-ca-agents-2-feedbeef");
        // A policy refusal is not an outage.
        assertThat(backend.status().healthy()).isTrue();
    }

    @Test
    void aVaultSealedAtStartLeavesTheBackendOfflineUntilReconnect() {
        backend.close();
        vault.seal();
        backend = build();

        backend.start();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).contains("sealed");
        assertThatThrownBy(() -> backend.randomBytes(4)).isInstanceOf(KeyBackendUnavailableException.class)
                .hasMessageContaining("randomBytes on key backend 'vault' failed");
        vault.unseal();
        assertThat(backend.reconnect().healthy()).isTrue();
        assertThat(backend.randomBytes(4)).hasSize(4);
    }

    /**
     * Found by the fault model: a backend offline since start stayed offline after Vault recovered, since only
     * {@code reconnect()} connected again and nothing calls it. Operations now try again, once per interval.
     */
    @Test
    void aBackendOfflineSinceStartConnectsAgainOnItsOwnOnceVaultIsBack() {
        backend.close();
        vault.seal();
        TestClock clock = new TestClock(java.time.Instant.parse("2026-12-06T03:00:00Z"));
        backend = VaultFixtures.withTimeouts(VaultFixtures.tokenConfig(vault.address(), tmp, vault.rootToken()))
                .build("vault", clock);
        backend.start();
        assertThatThrownBy(() -> backend.randomBytes(4)).isInstanceOf(KeyBackendUnavailableException.class);

        vault.unseal();
        // Not at every call: once per interval, so a fleet of failing rotations does not hammer Vault's login.
        assertThatThrownBy(() -> backend.randomBytes(4)).isInstanceOf(KeyBackendUnavailableException.class);
        assertThat(backend.status().healthy()).isFalse();
        clock.advance(VaultTransitKeyBackend.RECONNECT_INTERVAL);
        assertThat(backend.randomBytes(4)).hasSize(4);
        assertThat(backend.status().healthy()).isTrue();
    }

    @Test
    void aDeniedHmacKeyAtStartIsReportedAsPermissionDenied() {
        backend.close();
        vault.deny("transit/keys/rotakey-hmac");
        backend = build();

        backend.start();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).contains("permission denied on transit/keys/rotakey-hmac");
        assertThatThrownBy(() -> backend.hmac(DATA)).isInstanceOf(KeyBackendAuthenticationException.class)
                .satisfies(e -> assertThat(((KeyBackendException) e).retryable()).isFalse());
        vault.allowAll();
        assertThat(backend.reconnect().healthy()).isTrue();
    }

    @Test
    void anUnreachableVaultLeavesTheBackendOffline() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        VaultTransitKeyBackend offline = VaultFixtures.withTimeouts(
                VaultFixtures.tokenConfig("http://127.0.0.1:" + port, tmp, vault.rootToken())).build("down", Clock.systemUTC());
        try {
            offline.start();
            assertThat(offline.status().healthy()).isFalse();
            assertThat(offline.status().message()).contains("unreachable").contains("127.0.0.1:" + port);
            assertThatThrownBy(() -> offline.hmac(DATA)).isInstanceOf(KeyBackendUnavailableException.class);
            assertThat(offline.reconnect().healthy()).isFalse();
        } finally {
            offline.close();
        }
        assertThat(offline.status().message()).isEqualTo("closed");
    }

    @Test
    void anotherMountAndHmacKeyNameAreUsed() {
        vault.mountTransit("keys/rotakey");
        VaultTransitKeyBackendFactory f = VaultFixtures.tokenConfig(vault.address(), tmp, vault.rootToken());
        f.setMount("keys/rotakey");
        f.setHmacKey("digests");
        VaultTransitKeyBackend other = f.build("other", Clock.systemUTC());
        try {
            other.start();
            assertThat(other.status().healthy()).as(other.status().message()).isTrue();
            assertThat(other.hmacKeyId()).isEqualTo("vault-transit:keys/rotakey/digests/v1");
            assertThat(other.hmac(DATA)).isNotEqualTo(backend.hmac(DATA));
            other.createSigningKey("k", KeySpec.EC_P256);
            assertThat(other.keyUri("k")).endsWith("/v1/keys/rotakey/keys/k");
            Set<String> paths = new HashSet<>(vault.requestLog());
            assertThat(paths).contains("POST keys/rotakey/keys/k", "POST keys/rotakey/hmac/digests/sha2-256");
        } finally {
            other.close();
        }
    }
}
