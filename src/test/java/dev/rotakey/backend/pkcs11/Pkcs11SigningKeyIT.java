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

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What is particular to signing keys of the PKCS#11 backend on a real SoftHSM2 token: never
 * extractable, cached handles, token objects destroyed one at a time. What every backend does is in
 * {@link Pkcs11KeyBackendContractIT}.
 */
class Pkcs11SigningKeyIT {
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

    /**
     * A key made on the token after this backend connected, by another backend (another node of a cluster sharing
     * the token): SunPKCS11's KeyStore maps the token's labels when it loads, so the first lookup that misses reads
     * the token again, and a key another node made can be destroyed here too.
     */
    @Test
    void aKeyMadeElsewhereAfterThisBackendStartedIsFoundAndCanBeDestroyed() {
        KeyBackend here = started();
        here.signingKeyAliases("nothing-");
        String alias = alias("elsewhere");
        SigningKey made = started().createSigningKey(alias, KeySpec.EC_P256);

        assertThat(here.signingKey(alias)).get().extracting(SigningKey::publicKey).isEqualTo(made.publicKey());

        String other = alias("elsewhere-doomed");
        started().createSigningKey(other, KeySpec.EC_P256);
        here.destroySigningKey(other);
        assertThat(started().signingKey(other)).isEmpty();
    }

    /** That the other key still signs is in {@link Pkcs11KeyBackendContractIT}; this is what is left on the token. */
    @Test
    void destroyingOneKeyRemovesOnlyItsObjectsFromTheToken() {
        KeyBackend backend = started();
        String kept = alias("kept");
        String doomed = alias("doomed");
        backend.createSigningKey(kept, KeySpec.EC_P256);
        SigningKey doomedKey = backend.createSigningKey(doomed, KeySpec.RSA_2048);

        backend.destroySigningKey(doomed);

        assertThatThrownBy(() -> doomedKey.sign(bytes("still here")))
                .isExactlyInstanceOf(KeyBackendException.class)
                .hasMessageContaining("no longer exists");
        String objects = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.TEST, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");
        assertThat(Pkcs11KeyBackendIT.objectsLabelled(objects, doomed)).isEmpty();
        assertThat(privateKeys(objects, doomed)).isEmpty();
        assertThat(Pkcs11KeyBackendIT.objectsLabelled(objects, kept)).hasSize(1);
        assertThat(privateKeys(objects, kept)).hasSize(1);
    }

    /** A refused duplicate alias in general is in {@link Pkcs11KeyBackendContractIT}. */
    @Test
    void anExistingAliasIsRefusedSayingSoAndTheHmacKeysLabelToo() {
        KeyBackend backend = started();
        String alias = alias("taken");
        backend.createSigningKey(alias, KeySpec.EC_P256);

        assertThatThrownBy(() -> backend.createSigningKey(alias, KeySpec.EC_P384))
                .isExactlyInstanceOf(KeyBackendException.class)
                .hasMessageContaining("already exists");
        assertThatThrownBy(() -> backend.createSigningKey(Pkcs11KeyBackendFactory.DEFAULT_HMAC_KEY_LABEL,
                KeySpec.EC_P256)).isExactlyInstanceOf(KeyBackendException.class);
    }

    /** Idempotent destroy is in {@link Pkcs11KeyBackendContractIT}; the HMAC key's label is no signing key's alias. */
    @Test
    void theHmacKeyCannotBeDestroyedAsASigningKey() {
        KeyBackend backend = started();
        byte[] digest = backend.hmac(bytes("before"));

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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
