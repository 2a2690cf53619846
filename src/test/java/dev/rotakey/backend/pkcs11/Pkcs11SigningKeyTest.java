package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Signing keys of the PKCS#11 backend on a real SoftHSM2 token: generated and used inside the
 * token, never extractable, persistent across restarts, and destroyed one at a time.
 */
class Pkcs11SigningKeyTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<KeyBackend> opened = new ArrayList<>();
    private final List<String> created = new ArrayList<>();

    @BeforeAll
    static void tokens() {
        SoftHsmTokens.ensure();
    }

    /** Destroys through a fresh backend, so a test that closed its backends still cleans up. */
    @AfterEach
    void destroyKeysAndCloseBackends() {
        KeyBackend cleaner = started();
        created.forEach(cleaner::destroySigningKey);
        opened.forEach(KeyBackend::close);
    }

    private KeyBackend started() {
        KeyBackend backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        opened.add(backend);
        backend.start();
        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
        return backend;
    }

    /** Aliases differ per run, so keys left behind by an interrupted run never collide with new ones. */
    private String alias(String purpose) {
        String alias = "test-" + purpose + "-" + HexFormat.of().formatHex(randomBytes());
        created.add(alias);
        return alias;
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    @ParameterizedTest
    @EnumSource(KeySpec.class)
    void createsKeysThatSignInsideTheTokenAndVerifyWithTheJdk(KeySpec spec) throws Exception {
        KeyBackend backend = started();
        String alias = alias(spec.name().toLowerCase());

        SigningKey key = backend.createSigningKey(alias, spec);

        assertThat(key.alias()).isEqualTo(alias);
        assertThat(key.spec()).isEqualTo(spec);
        assertThat(key.publicKey().getAlgorithm()).isEqualTo(spec.keyAlgorithm());
        assertThat(KeySpec.of(key.publicKey())).contains(spec);
        byte[] data = bytes("to be signed by " + spec);
        assertThat(verifies(key.publicKey(), spec, data, key.sign(data))).isTrue();
        assertThat(verifies(key.publicKey(), spec, bytes("something else"), key.sign(data))).isFalse();
    }

    @Test
    void privateKeysAreSensitiveAndNeverExtractable() {
        KeyBackend backend = started();
        String alias = alias("extractable");
        backend.createSigningKey(alias, KeySpec.EC_P256);

        String objects = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.TEST, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");

        List<String> privateKeys = privateKeys(objects, alias);
        assertThat(privateKeys).hasSize(1);
        assertThat(privateKeys.get(0))
                .contains("always sensitive")
                .contains("never extractable")
                .containsPattern("Usage:.*sign")
                .doesNotContainPattern("Usage:.*(decrypt|unwrap|derive)");
    }

    @Test
    void keysSurviveARestartAndLookupsAreCached() throws Exception {
        KeyBackend first = started();
        String alias = alias("restart");
        SigningKey created = first.createSigningKey(alias, KeySpec.EC_P384);
        first.close();

        KeyBackend second = started();
        SigningKey found = second.signingKey(alias).orElseThrow();

        assertThat(found.spec()).isEqualTo(KeySpec.EC_P384);
        assertThat(found.publicKey()).isEqualTo(created.publicKey());
        byte[] data = bytes("after a restart");
        assertThat(verifies(created.publicKey(), KeySpec.EC_P384, data, found.sign(data))).isTrue();
        // Once the handle is cached, the same key comes back even though the object itself is not kept.
        assertThat(second.signingKey(alias).orElseThrow().publicKey()).isEqualTo(created.publicKey());
        assertThat(second.signingKey(alias("never-created"))).isEmpty();
    }

    /**
     * Once looked up, a key is answered from the cached handle without asking the token: another
     * process deleting its objects goes unnoticed by the lookup, which a KeyStore scan would see.
     */
    @Test
    void aSecondLookupDoesNotScanTheToken() {
        String alias = alias("cached");
        KeyBackend creator = started();
        creator.createSigningKey(alias, KeySpec.EC_P256);
        creator.close();
        KeyBackend backend = started();
        PublicKey publicKey = backend.signingKey(alias).orElseThrow().publicKey();

        String id = HexFormat.of().formatHex(bytes(alias));
        for (String type : List.of("privkey", "cert")) {
            SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.TEST, "--login", "--pin", SoftHsmTokens.USER_PIN,
                    "--delete-object", "--type", type, "--id", id);
        }

        assertThat(backend.signingKey(alias)).get().extracting(SigningKey::publicKey).isEqualTo(publicKey);
        assertThat(started().signingKey(alias)).isEmpty();
    }

    @Test
    void destroyingOneKeyLeavesAnotherWorkingAlsoAfterARestart() throws Exception {
        KeyBackend backend = started();
        String kept = alias("kept");
        String doomed = alias("doomed");
        SigningKey keptKey = backend.createSigningKey(kept, KeySpec.EC_P256);
        SigningKey doomedKey = backend.createSigningKey(doomed, KeySpec.RSA_2048);

        backend.destroySigningKey(doomed);

        byte[] data = bytes("still here");
        assertThat(verifies(keptKey.publicKey(), KeySpec.EC_P256, data, keptKey.sign(data))).isTrue();
        assertThat(backend.signingKey(doomed)).isEmpty();
        assertThatThrownBy(() -> doomedKey.sign(data))
                .isExactlyInstanceOf(KeyBackendException.class)
                .hasMessageContaining("no longer exists");
        backend.close();

        KeyBackend restarted = started();
        assertThat(restarted.signingKey(doomed)).isEmpty();
        SigningKey found = restarted.signingKey(kept).orElseThrow();
        assertThat(verifies(keptKey.publicKey(), KeySpec.EC_P256, data, found.sign(data))).isTrue();
        String objects = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.TEST, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");
        assertThat(Pkcs11KeyBackendTest.objectsLabelled(objects, doomed)).isEmpty();
        assertThat(privateKeys(objects, doomed)).isEmpty();
        assertThat(Pkcs11KeyBackendTest.objectsLabelled(objects, kept)).hasSize(1);
        assertThat(privateKeys(objects, kept)).hasSize(1);
    }

    @Test
    void anExistingAliasIsRefused() {
        KeyBackend backend = started();
        String alias = alias("taken");
        SigningKey original = backend.createSigningKey(alias, KeySpec.EC_P256);

        assertThatThrownBy(() -> backend.createSigningKey(alias, KeySpec.EC_P384))
                .isExactlyInstanceOf(KeyBackendException.class)
                .hasMessageContaining("already exists");
        assertThatThrownBy(() -> backend.createSigningKey(Pkcs11KeyBackendFactory.DEFAULT_HMAC_KEY_LABEL,
                KeySpec.EC_P256)).isExactlyInstanceOf(KeyBackendException.class);
        assertThat(backend.signingKey(alias).orElseThrow().publicKey()).isEqualTo(original.publicKey());
    }

    @Test
    void destroyIsIdempotentAndLeavesTheHmacKeyAlone() {
        KeyBackend backend = started();
        byte[] digest = backend.hmac(bytes("before"));
        String alias = alias("destroy");
        backend.createSigningKey(alias, KeySpec.EC_P256);

        backend.destroySigningKey(alias);
        backend.destroySigningKey(alias);
        backend.destroySigningKey(alias("never-created"));

        assertThat(backend.signingKey(alias)).isEmpty();
        assertThatThrownBy(() -> backend.destroySigningKey(Pkcs11KeyBackendFactory.DEFAULT_HMAC_KEY_LABEL))
                .isExactlyInstanceOf(KeyBackendException.class)
                .hasMessageContaining("not a signing key");
        assertThat(backend.signingKey(Pkcs11KeyBackendFactory.DEFAULT_HMAC_KEY_LABEL)).isEmpty();
        assertThat(backend.hmac(bytes("before"))).isEqualTo(digest);
        backend.close();
        assertThat(started().hmac(bytes("before"))).isEqualTo(digest);
    }

    @Test
    void anOfflineBackendRefusesSigningKeyOperationsAsUnavailable() {
        KeyBackend backend = started();
        String alias = alias("offline");
        SigningKey key = backend.createSigningKey(alias, KeySpec.EC_P256);
        backend.close();

        assertThatThrownBy(() -> key.sign(bytes("x"))).isExactlyInstanceOf(KeyBackendUnavailableException.class);
        assertThatThrownBy(() -> backend.signingKey(alias)).isExactlyInstanceOf(KeyBackendUnavailableException.class);
        assertThatThrownBy(() -> backend.createSigningKey(alias("other"), KeySpec.EC_P256))
                .isExactlyInstanceOf(KeyBackendUnavailableException.class);
        assertThatThrownBy(() -> backend.destroySigningKey(alias))
                .isExactlyInstanceOf(KeyBackendUnavailableException.class);
    }

    @Test
    void badAliasesAreRefusedBeforeTheToken() {
        KeyBackend backend = started();
        assertThatThrownBy(() -> backend.createSigningKey("", KeySpec.EC_P256))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> backend.createSigningKey("a,CN=b", KeySpec.EC_P256))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * The private key objects stored under {@code alias}: the KeyStore labels the placeholder
     * certificate with the alias but identifies the private key only by CKA_ID, the alias's bytes.
     */
    private static List<String> privateKeys(String listing, String alias) {
        return SoftHsmTokens.privateKeysWithAlias(listing, alias);
    }

    /** Verification by the JDK's own providers, not the token's. */
    private static boolean verifies(PublicKey key, KeySpec spec, byte[] data, byte[] signature)
            throws GeneralSecurityException {
        Signature verifier = Signature.getInstance(spec.signatureAlgorithm(),
                spec.keyAlgorithm().equals("EC") ? "SunEC" : "SunRsaSign");
        verifier.initVerify(key);
        verifier.update(data);
        return verifier.verify(signature);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
