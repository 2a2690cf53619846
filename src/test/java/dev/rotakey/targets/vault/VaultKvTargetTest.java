package dev.rotakey.targets.vault;

import dev.rotakey.core.Secret;
import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.files.TestCertificateAuthority;
import dev.rotakey.targets.files.TestCertificateAuthority.KeyType;
import dev.rotakey.targets.files.TestCertificateAuthority.Leaf;
import dev.rotakey.testing.VaultTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What is particular to the {@code vault-kv} target, against an in-process Vault over real HTTP:
 * the KV data written, check-and-set against concurrent writers, versions really destroyed,
 * sealed and denied Vaults, and repeating an operation a crash interrupted.
 */
class VaultKvTargetTest {
    private static final TestCertificateAuthority CA = TestCertificateAuthority.create("KV", KeyType.EC);
    private static VaultTestServer server;

    @TempDir
    Path dir;

    private String prefix;
    private DirectKv kv;
    private Target target;
    private final List<Target> opened = new ArrayList<>();

    @BeforeAll
    static void startVault() {
        server = VaultTestServer.start();
    }

    @AfterAll
    static void stopVault() {
        server.stop();
    }

    @BeforeEach
    void openTarget() {
        prefix = VaultKvTargets.uniquePrefix();
        kv = VaultKvTargets.direct(server);
        target = newTarget();
    }

    @AfterEach
    void closeTargets() {
        opened.forEach(Target::close);
    }

    private Target newTarget() {
        Target t = VaultKvTargets.factory(server, dir, prefix).build("vault");
        opened.add(t);
        return t;
    }

    /** The target on the same Vault, with its KV calls passing through {@code interceptor}. */
    private Target interceptedTarget(KvInterceptor interceptor) {
        Target plain = newTarget();
        KvStore real = ((VaultKvTarget) plain).store();
        return new VaultKvTarget("vault", "secret", prefix, interceptor.around(real));
    }

    private static TargetBinding binding(String path) {
        return new TargetBinding("vault", Map.of("path", path));
    }

    private String kvPath(String path) {
        return prefix + "/" + path;
    }

    private static Delivery apiKey(String path, int version, Secret key) {
        return new Delivery("agent-1", "cred-1", "api-key", version, binding(path), key);
    }

    private static Revocation apiKeyRevocation(String path, int version, Secret key) {
        return new Revocation("agent-1", "cred-1", "api-key", version, binding(path),
                content -> MessageDigest.isEqual(content, key.utf8()));
    }

    @Test
    void anApiKeyIsWrittenWithItsCredentialAndVersion() {
        Secret key = Secret.of("rk_live_first");

        target.deliver(apiKey("agents/a1", 3, key));

        assertThat(kv.read(kvPath("agents/a1"), 0)).contains(Map.of("key", "rk_live_first", "credential", "cred-1",
                "version", "3"));
        assertThat(kv.currentVersion(kvPath("agents/a1"))).isEqualTo(1);
    }

    @Test
    void aCertificateIsWrittenWithItsChainAndExportedKey() {
        Leaf leaf = CA.leaf("agent-1", KeyType.EC);
        CertificateMaterial material = leaf.exported();
        Delivery delivery = new Delivery("agent-1", "cred-c", "certificate", 1, binding("tls/a1"),
                Secret.of(leaf.certificatePem()), material);

        target.deliver(delivery);
        target.verify(delivery);

        assertThat(kv.read(kvPath("tls/a1"), 0)).contains(Map.of("certificate", leaf.certificatePem(),
                "chain", leaf.chainPem(), "private_key", leaf.privateKeyPem(), "credential", "cred-c", "version", "1"));
    }

    @Test
    void aCertificateWhoseKeyStaysInTheBackendIsWrittenWithTheKeyUri() {
        Leaf leaf = CA.leaf("agent-2", KeyType.EC);
        String uri = "pkcs11:token=rotakey;object=rotakey-leaf-a2-1;type=private";
        Delivery delivery = new Delivery("agent-2", "cred-h", "certificate", 1, binding("tls/a2"),
                Secret.of(leaf.certificatePem()), leaf.inBackend(uri));

        target.deliver(delivery);

        Map<String, String> data = kv.read(kvPath("tls/a2"), 0).orElseThrow();
        assertThat(data).containsEntry("private_key_uri", uri).doesNotContainKey("private_key");
        assertThat(data).containsEntry("certificate", leaf.certificatePem());
    }

    @Test
    void deliveringTheSameMaterialAgainWritesNoNewVersion() {
        Secret key = Secret.of("rk_live_same");
        target.deliver(apiKey("agents/a1", 1, key));

        target.deliver(apiKey("agents/a1", 1, key));
        newTarget().deliver(apiKey("agents/a1", 1, key));

        assertThat(kv.currentVersion(kvPath("agents/a1"))).isEqualTo(1);
    }

    @Test
    void aPrefixAndMountFromTheConfigAreUsed() {
        target.deliver(apiKey("agents/a1", 1, Secret.of("rk_live_prefixed")));

        assertThat(kv.read(prefix + "/agents/a1", 0)).isPresent();
        assertThat(kv.read("agents/a1", 0).filter(d -> "rk_live_prefixed".equals(d.get("key")))).isEmpty();
    }

    /** Another writer slips in between the target's read of the metadata and its write. */
    @Test
    void aConcurrentWriterIsNeverOverwrittenSilently() {
        Secret ours = Secret.of("rk_live_ours");
        target.deliver(apiKey("agents/a1", 1, Secret.of("rk_live_before")));
        Target racing = interceptedTarget(real -> new ForwardingKvStore(real) {
            private boolean raced;

            @Override
            public int write(String path, Map<String, String> data, int cas) {
                if (!raced) {
                    raced = true;
                    kv.write(path, Map.of("key", "rk_live_theirs", "credential", "someone-else", "version", "9"));
                }
                return super.write(path, data, cas);
            }
        });

        TargetException conflict = catchThrowableOfType(TargetException.class,
                () -> racing.deliver(apiKey("agents/a1", 2, ours)));

        assertThat(conflict).isNotNull();
        assertThat(conflict.retryable()).isTrue();
        assertThat(conflict).hasMessageContaining("another writer changed the path");
        assertThat(conflict.getMessage()).doesNotContain("rk_live_");
        assertThat(kv.read(kvPath("agents/a1"), 0).orElseThrow()).containsEntry("key", "rk_live_theirs");
        assertThat(kv.currentVersion(kvPath("agents/a1"))).isEqualTo(2);
    }

    /** The concurrent writer was an earlier attempt of the same delivery (an answer lost on the way back). */
    @Test
    void aConflictWithOurOwnEarlierWriteIsSuccess() {
        Secret ours = Secret.of("rk_live_ours_again");
        Target racing = interceptedTarget(real -> new ForwardingKvStore(real) {
            private boolean raced;

            @Override
            public int write(String path, Map<String, String> data, int cas) {
                if (!raced) {
                    raced = true;
                    kv.write(path, data);
                }
                return super.write(path, data, cas);
            }
        });

        assertThatCode(() -> racing.deliver(apiKey("agents/a1", 1, ours))).doesNotThrowAnyException();

        assertThat(kv.currentVersion(kvPath("agents/a1"))).isEqualTo(1);
        target.verify(apiKey("agents/a1", 1, ours));
    }

    @Test
    void revokedVersionsAreDestroyedAndNewerOnesUntouched() {
        Secret v1 = Secret.of("rk_live_v1");
        Secret v2 = Secret.of("rk_live_v2");
        target.deliver(apiKey("agents/a1", 1, v1));
        target.deliver(apiKey("agents/a1", 2, v2));

        target.revoke(apiKeyRevocation("agents/a1", 1, v1));

        assertThat(kv.destroyed(kvPath("agents/a1"), 1)).isTrue();
        assertThat(kv.read(kvPath("agents/a1"), 1)).isEmpty();
        assertThat(kv.destroyed(kvPath("agents/a1"), 2)).isFalse();
        assertThat(kv.read(kvPath("agents/a1"), 2).orElseThrow()).containsEntry("key", "rk_live_v2");
        assertThat(kv.currentVersion(kvPath("agents/a1"))).isEqualTo(2);
    }

    /** A revoked key delivered twice (by a retried rotation that re-sent it) is destroyed wherever it is. */
    @Test
    void everyVersionHoldingTheRevokedMaterialIsDestroyed() {
        Secret v1 = Secret.of("rk_live_v1");
        Secret v2 = Secret.of("rk_live_v2");
        target.deliver(apiKey("agents/a1", 1, v1));
        target.deliver(apiKey("agents/a1", 2, v2));
        kv.write(kvPath("agents/a1"), Map.of("key", "rk_live_v1", "credential", "cred-1", "version", "1"));
        target.deliver(apiKey("agents/a1", 2, v2));

        target.revoke(apiKeyRevocation("agents/a1", 1, v1));

        assertThat(kv.destroyed(kvPath("agents/a1"), 1)).isTrue();
        assertThat(kv.destroyed(kvPath("agents/a1"), 3)).isTrue();
        assertThat(kv.destroyed(kvPath("agents/a1"), 2)).isFalse();
        assertThat(kv.destroyed(kvPath("agents/a1"), 4)).isFalse();
        target.verify(apiKey("agents/a1", 2, v2));
    }

    @Test
    void discardWritesThePreviousDataBackAndDestroysTheFailedVersion() {
        Secret v1 = Secret.of("rk_live_v1");
        Secret v2 = Secret.of("rk_live_v2");
        target.deliver(apiKey("agents/a1", 1, v1));
        target.deliver(apiKey("agents/a1", 2, v2));

        target.discard(apiKeyRevocation("agents/a1", 2, v2));

        assertThat(kv.currentVersion(kvPath("agents/a1"))).isEqualTo(3);
        assertThat(kv.read(kvPath("agents/a1"), 3)).contains(Map.of("key", "rk_live_v1", "credential", "cred-1",
                "version", "1"));
        assertThat(kv.destroyed(kvPath("agents/a1"), 2)).isTrue();
        assertThat(kv.read(kvPath("agents/a1"), 2)).isEmpty();
        assertThat(kv.destroyed(kvPath("agents/a1"), 1)).isFalse();
    }

    /** Someone wrote on top of the failed version: a discard destroys only ours and writes nothing back. */
    @Test
    void discardNeverOverwritesANewerVersionOfSomeoneElse() {
        Secret v1 = Secret.of("rk_live_v1");
        Secret v2 = Secret.of("rk_live_v2");
        target.deliver(apiKey("agents/a1", 1, v1));
        target.deliver(apiKey("agents/a1", 2, v2));
        kv.write(kvPath("agents/a1"), Map.of("key", "rk_live_theirs"));

        target.discard(apiKeyRevocation("agents/a1", 2, v2));

        assertThat(kv.currentVersion(kvPath("agents/a1"))).isEqualTo(3);
        assertThat(kv.read(kvPath("agents/a1"), 3).orElseThrow()).containsEntry("key", "rk_live_theirs");
        assertThat(kv.destroyed(kvPath("agents/a1"), 2)).isTrue();
        assertThat(kv.destroyed(kvPath("agents/a1"), 1)).isFalse();
    }

    /** A crash after the write-back and before the destroy: the next attempt only destroys. */
    @Test
    void aDiscardInterruptedAfterTheWriteBackFinishesWithoutASecondWrite() {
        Secret v1 = Secret.of("rk_live_v1");
        Secret v2 = Secret.of("rk_live_v2");
        target.deliver(apiKey("agents/a1", 1, v1));
        target.deliver(apiKey("agents/a1", 2, v2));
        Target crashing = interceptedTarget(real -> new ForwardingKvStore(real) {
            @Override
            public void destroy(String path, List<Integer> versions) {
                throw new TargetException("simulated crash before destroy", true);
            }
        });
        assertThatThrownBy(() -> crashing.discard(apiKeyRevocation("agents/a1", 2, v2)))
                .hasMessageContaining("simulated crash");

        newTarget().discard(apiKeyRevocation("agents/a1", 2, v2));

        assertThat(kv.currentVersion(kvPath("agents/a1"))).isEqualTo(3);
        assertThat(kv.destroyed(kvPath("agents/a1"), 2)).isTrue();
        target.verify(apiKey("agents/a1", 1, v1));
    }

    /** A crash after Vault stored the write but before the answer arrived: the retry writes nothing new. */
    @Test
    void aDeliveryRepeatedAfterACrashWritesNoSecondVersion() {
        Secret v1 = Secret.of("rk_live_v1");
        Target crashing = interceptedTarget(real -> new ForwardingKvStore(real) {
            @Override
            public int write(String path, Map<String, String> data, int cas) {
                super.write(path, data, cas);
                throw new TargetException("simulated crash after write", true);
            }
        });
        assertThatThrownBy(() -> crashing.deliver(apiKey("agents/a1", 1, v1))).hasMessageContaining("simulated crash");

        newTarget().deliver(apiKey("agents/a1", 1, v1));

        assertThat(kv.currentVersion(kvPath("agents/a1"))).isEqualTo(1);
        target.verify(apiKey("agents/a1", 1, v1));
    }

    @Test
    void aSealedVaultIsRetryable() {
        Secret v1 = Secret.of("rk_live_sealed");
        server.seal();
        try {
            TargetException sealed = catchThrowableOfType(TargetException.class,
                    () -> target.deliver(apiKey("agents/a1", 1, v1)));
            assertThat(sealed).isNotNull();
            assertThat(sealed.retryable()).isTrue();
            assertThat(sealed.getMessage()).doesNotContain("rk_live_sealed");
        } finally {
            server.unseal();
        }
        target.deliver(apiKey("agents/a1", 1, v1));
        target.verify(apiKey("agents/a1", 1, v1));
    }

    @Test
    void aServerErrorIsRetryable() {
        server.failNext(500, 1);

        TargetException failed = catchThrowableOfType(TargetException.class,
                () -> target.deliver(apiKey("agents/a1", 1, Secret.of("rk_live_500"))));

        assertThat(failed).isNotNull();
        assertThat(failed.retryable()).isTrue();
    }

    @Test
    void aDeniedPathIsNotRetryableAndNamed() {
        server.deny("secret/data/" + kvPath("agents/denied"));
        server.deny("secret/metadata/" + kvPath("agents/denied"));

        TargetException denied = catchThrowableOfType(TargetException.class,
                () -> target.deliver(apiKey("agents/denied", 1, Secret.of("rk_live_denied"))));

        assertThat(denied).isNotNull();
        assertThat(denied.retryable()).isFalse();
        assertThat(denied).hasMessageContaining(kvPath("agents/denied"));
        assertThat(denied.getMessage()).doesNotContain("rk_live_denied").doesNotContain(server.rootToken());
    }

    /** A policy that lets Rotakey write but not destroy: revoking must say so, not pretend it worked. */
    @Test
    void aDeniedDestroyIsNotRetryableAndLeavesTheVersionReadable() {
        Secret v1 = Secret.of("rk_live_v1");
        target.deliver(apiKey("agents/a1", 1, v1));
        target.deliver(apiKey("agents/a1", 2, Secret.of("rk_live_v2")));
        server.deny("secret/destroy/" + kvPath("agents/a1"));
        try {
            TargetException denied = catchThrowableOfType(TargetException.class,
                    () -> target.revoke(apiKeyRevocation("agents/a1", 1, v1)));

            assertThat(denied).isNotNull();
            assertThat(denied.retryable()).isFalse();
            assertThat(denied).hasMessageContaining("secret/" + kvPath("agents/a1"));
            assertThat(kv.destroyed(kvPath("agents/a1"), 1)).isFalse();
        } finally {
            server.allowAll();
        }
    }

    @Test
    void anUnavailableVaultDuringRevokeOrDiscardIsRetryableAndTheRetryFinishes() {
        Secret v1 = Secret.of("rk_live_v1");
        Secret v2 = Secret.of("rk_live_v2");
        target.deliver(apiKey("agents/a1", 1, v1));
        target.deliver(apiKey("agents/a1", 2, v2));

        server.failNext(503, 1);
        assertThatThrownBy(() -> target.discard(apiKeyRevocation("agents/a1", 2, v2)))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue());
        target.discard(apiKeyRevocation("agents/a1", 2, v2));
        server.failNext(502, 1);
        assertThatThrownBy(() -> target.revoke(apiKeyRevocation("agents/a1", 1, v1)))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue());
        target.revoke(apiKeyRevocation("agents/a1", 1, v1));

        // v1 was written back by the discard as version 3, so revoking v1 destroys 1 and 3.
        assertThat(kv.destroyed(kvPath("agents/a1"), 1)).isTrue();
        assertThat(kv.destroyed(kvPath("agents/a1"), 2)).isTrue();
        assertThat(kv.destroyed(kvPath("agents/a1"), 3)).isTrue();
    }

    @Test
    void revokingTouchesNothingWhenNoVersionMatches() {
        Secret v1 = Secret.of("rk_live_v1");
        target.deliver(apiKey("agents/a1", 1, v1));
        int destroysBefore = server.requests("secret/destroy/");

        target.revoke(apiKeyRevocation("agents/a1", 1, Secret.of("rk_live_other")));
        target.revoke(apiKeyRevocation("agents/never", 1, v1));

        assertThat(server.requests("secret/destroy/")).isEqualTo(destroysBefore);
        target.verify(apiKey("agents/a1", 1, v1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/agents/a1", "agents/../a1", "agents//a1", "agents/a1/", "./a1", "agents/a 1",
            "agents/a1?version=1", "agents/%2e%2e", "agents/a1#x"})
    void unsafePathsAreRefusedNamingTheParameter(String path) {
        InvalidBindingException refused = catchThrowableOfType(InvalidBindingException.class,
                () -> target.validateBinding(binding(path)));

        assertThat(refused).isNotNull();
        assertThat(refused.parameter()).isEqualTo("path");
    }

    @Test
    void aMissingPathOrAnUnknownParameterIsRefused() {
        assertThatThrownBy(() -> target.validateBinding(new TargetBinding("vault", Map.of())))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.parameter()).isEqualTo("path"));
        assertThatThrownBy(() -> target.validateBinding(new TargetBinding("vault", Map.of("path", "a", "mode", "0600"))))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.parameter()).isEqualTo("mode"));
    }

    @Test
    void toStringShowsNoToken() {
        assertThat(target.toString()).contains("vault").doesNotContain(server.rootToken());
        assertThat(new VaultKvTargetFactory().toString()).contains("secret");
    }

    /** Wraps the real KV store of a target, for tests that interfere with one call. */
    @FunctionalInterface
    interface KvInterceptor {
        KvStore around(KvStore real);
    }

    /** Passes every call through; tests override the one they interfere with. */
    static class ForwardingKvStore implements KvStore {
        private final KvStore real;

        ForwardingKvStore(KvStore real) {
            this.real = real;
        }

        @Override
        public Optional<Metadata> metadata(String path) {
            return real.metadata(path);
        }

        @Override
        public Optional<Map<String, String>> read(String path, int version) {
            return real.read(path, version);
        }

        @Override
        public int write(String path, Map<String, String> data, int cas) {
            return real.write(path, data, cas);
        }

        @Override
        public void destroy(String path, List<Integer> versions) {
            real.destroy(path, versions);
        }
    }

    @Test
    void claimsTheMountAndThePathBelowIt() {
        assertThat(target.claims(new TargetBinding("vault", Map.of("path", "agents/a1"))))
                .containsExactly("kv:secret/" + prefix + "/agents/a1");
    }
}
