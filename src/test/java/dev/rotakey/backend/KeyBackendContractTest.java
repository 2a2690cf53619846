package dev.rotakey.backend;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What Rotakey asks of every {@link KeyBackend}, whatever holds its keys: a subclass supplies
 * backends on one store (and one that cannot reach its device or server) and inherits the tests.
 */
public abstract class KeyBackendContractTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<KeyBackend> opened = new ArrayList<>();
    private final List<String> created = new ArrayList<>();

    /** A new, not yet started backend on a fresh connection to the same store as every other one. */
    protected abstract KeyBackend newBackend();

    /** A not yet started backend whose device or server cannot be reached. */
    protected abstract KeyBackend offlineBackend();

    /** Removes the signing keys a test created under {@code aliases}, through a started {@code backend}. */
    protected abstract void cleanUp(KeyBackend backend, List<String> aliases);

    /** The name the subclass configures its backends with. */
    protected abstract String expectedName();

    /** The backend's configured type ({@code pkcs11}, {@code vault-transit}). */
    protected abstract String expectedType();

    /** The secrets the backends were configured with (PINs, tokens), which must never be shown. */
    protected abstract List<String> secrets();

    /**
     * Destroys through a fresh backend, so a test that closed or broke its own backends still
     * cleans up; an offline store leaves nothing to clean.
     */
    @AfterEach
    void destroyKeysAndCloseBackends() {
        try {
            if (!created.isEmpty()) {
                KeyBackend cleaner = started();
                cleanUp(cleaner, created);
            }
        } finally {
            opened.forEach(KeyBackend::close);
        }
    }

    protected final KeyBackend started() {
        KeyBackend backend = track(newBackend());
        backend.start();
        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
        return backend;
    }

    private KeyBackend track(KeyBackend backend) {
        opened.add(backend);
        return backend;
    }

    /** Aliases differ per run, so keys left behind by an interrupted run never collide with new ones. */
    protected final String alias(String purpose) {
        byte[] suffix = new byte[6];
        RANDOM.nextBytes(suffix);
        String alias = "contract-" + purpose + "-" + HexFormat.of().formatHex(suffix);
        created.add(alias);
        return alias;
    }

    @Test
    void hasItsConfiguredNameAndTypeAndStartsHealthy() {
        KeyBackend backend = track(newBackend());
        assertThat(backend.name()).isEqualTo(expectedName());
        assertThat(backend.type()).isEqualTo(expectedType());

        assertThatCode(backend::start).doesNotThrowAnyException();

        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
        assertThat(backend.status().message()).isNotBlank();
    }

    @Test
    void randomBytesHaveTheRequestedLengthAndNeverRepeat() {
        KeyBackend backend = started();

        assertThat(backend.randomBytes(0)).isEmpty();
        assertThat(backend.randomBytes(1)).hasSize(1);
        assertThat(backend.randomBytes(1000)).hasSize(1000);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            byte[] bytes = backend.randomBytes(32);
            assertThat(bytes).hasSize(32);
            assertThat(seen.add(HexFormat.of().formatHex(bytes))).as("repeated random bytes").isTrue();
        }
    }

    @Test
    void hmacIsDeterministic32BytesAndDiffersPerInput() {
        KeyBackend backend = started();

        byte[] first = backend.hmac(bytes("agent-7 credential"));

        assertThat(first).hasSize(32);
        assertThat(backend.hmac(bytes("agent-7 credential"))).isEqualTo(first);
        assertThat(backend.hmac(bytes("agent-8 credential"))).hasSize(32).isNotEqualTo(first);
        assertThat(backend.hmac(new byte[0])).hasSize(32).isNotEqualTo(first);
    }

    /** Digests are stored and compared later, by another process: the key behind them must be the store's. */
    @Test
    void hmacAndItsKeyIdAreTheSameOnANewInstance() {
        KeyBackend first = started();
        byte[] digest = first.hmac(bytes("same input"));
        String keyId = first.hmacKeyId();
        first.close();

        KeyBackend second = started();

        assertThat(keyId).isNotBlank();
        assertThat(second.hmacKeyId()).isEqualTo(keyId);
        assertThat(second.hmac(bytes("same input"))).isEqualTo(digest);
    }

    @ParameterizedTest
    @EnumSource(KeySpec.class)
    void createsKeysOfEverySpecThatTheJdkVerifies(KeySpec spec) throws Exception {
        KeyBackend backend = started();
        String alias = alias(spec.name().toLowerCase());

        SigningKey key = backend.createSigningKey(alias, spec);

        assertThat(key.alias()).isEqualTo(alias);
        assertThat(key.spec()).isEqualTo(spec);
        assertThat(key.publicKey().getAlgorithm()).isEqualTo(spec.keyAlgorithm());
        assertThat(KeySpec.of(key.publicKey())).contains(spec);
        byte[] data = bytes("to be signed by " + spec);
        byte[] signature = key.sign(data);
        assertThat(verifies(key.publicKey(), spec, data, signature)).isTrue();
        assertThat(verifies(key.publicKey(), spec, bytes("something else"), signature)).isFalse();
    }

    @Test
    void aDuplicateAliasIsRefusedAndTheOriginalKeyKept() {
        KeyBackend backend = started();
        String alias = alias("taken");
        SigningKey original = backend.createSigningKey(alias, KeySpec.EC_P256);

        assertThatThrownBy(() -> backend.createSigningKey(alias, KeySpec.EC_P384))
                .isExactlyInstanceOf(KeyBackendException.class)
                .hasMessageContaining(alias)
                .satisfies(e -> assertThat(((KeyBackendException) e).retryable()).isFalse());
        assertThat(backend.signingKey(alias).orElseThrow().publicKey()).isEqualTo(original.publicKey());
    }

    @Test
    void aKeyIsFoundAndSignsOnANewInstanceAndAMissingAliasIsEmpty() throws Exception {
        KeyBackend creator = started();
        String alias = alias("found");
        SigningKey created = creator.createSigningKey(alias, KeySpec.EC_P384);
        creator.close();

        KeyBackend backend = started();
        SigningKey found = backend.signingKey(alias).orElseThrow();

        assertThat(found.alias()).isEqualTo(alias);
        assertThat(found.spec()).isEqualTo(KeySpec.EC_P384);
        assertThat(found.publicKey()).isEqualTo(created.publicKey());
        byte[] data = bytes("on a new instance");
        assertThat(verifies(created.publicKey(), KeySpec.EC_P384, data, found.sign(data))).isTrue();
        assertThat(backend.signingKey(alias("never-created"))).isEmpty();
    }

    @Test
    void destroyingAKeyLeavesOtherKeysAndTheHmacKeyWorking() throws Exception {
        KeyBackend backend = started();
        byte[] digest = backend.hmac(bytes("before"));
        String kept = alias("kept");
        String doomed = alias("doomed");
        SigningKey keptKey = backend.createSigningKey(kept, KeySpec.EC_P256);
        SigningKey doomedKey = backend.createSigningKey(doomed, KeySpec.EC_P256);

        backend.destroySigningKey(doomed);

        byte[] data = bytes("still here");
        assertThat(backend.signingKey(doomed)).isEmpty();
        assertThatThrownBy(() -> doomedKey.sign(data)).isInstanceOf(KeyBackendException.class);
        assertThat(verifies(keptKey.publicKey(), KeySpec.EC_P256, data, keptKey.sign(data))).isTrue();
        assertThat(backend.hmac(bytes("before"))).isEqualTo(digest);
        backend.close();

        KeyBackend fresh = started();
        assertThat(fresh.signingKey(doomed)).isEmpty();
        SigningKey found = fresh.signingKey(kept).orElseThrow();
        assertThat(verifies(keptKey.publicKey(), KeySpec.EC_P256, data, found.sign(data))).isTrue();
        assertThat(fresh.hmac(bytes("before"))).isEqualTo(digest);
    }

    @Test
    void signingKeysAreListedByPrefixOnAFreshInstanceToo() {
        KeyBackend backend = started();
        String one = alias("listed");
        String two = alias("listed");
        String other = alias("unlisted");
        for (String a : List.of(one, two, other)) {
            backend.createSigningKey(a, KeySpec.EC_P256);
        }
        backend.destroySigningKey(two);

        assertThat(backend.signingKeyAliases("contract-listed-")).contains(one).doesNotContain(two, other);
        // A restarted daemon sweeps with what the store holds, not with what this instance made.
        assertThat(started().signingKeyAliases("contract-listed-")).contains(one).doesNotContain(two, other);
    }

    @Test
    void destroyingAnAbsentKeyDoesNothing() {
        KeyBackend backend = started();
        String alias = alias("destroy-twice");
        backend.createSigningKey(alias, KeySpec.EC_P256);

        backend.destroySigningKey(alias);

        assertThatCode(() -> backend.destroySigningKey(alias)).doesNotThrowAnyException();
        assertThatCode(() -> backend.destroySigningKey(alias("never-created"))).doesNotThrowAnyException();
        assertThat(backend.signingKey(alias)).isEmpty();
    }

    @Test
    void aKeyUriNamesTheAlias() {
        KeyBackend backend = track(newBackend());
        String alias = "rotakey-leaf-x-1-ff";

        assertThat(backend.keyUri(alias)).isNotBlank().contains(alias);
    }

    @Test
    void anOfflineBackendIsUnhealthyWithAReasonAndRetryableUntilReconnected() {
        KeyBackend backend = track(offlineBackend());
        assertThatCode(backend::start).doesNotThrowAnyException();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).isNotBlank();
        assertThatThrownBy(() -> backend.randomBytes(32)).isInstanceOf(KeyBackendUnavailableException.class)
                .satisfies(e -> assertThat(((KeyBackendException) e).retryable()).isTrue());
        assertThatThrownBy(() -> backend.hmac(bytes("x"))).isInstanceOf(KeyBackendUnavailableException.class)
                .satisfies(e -> assertThat(((KeyBackendException) e).retryable()).isTrue());
        assertThatThrownBy(() -> backend.createSigningKey("contract-offline", KeySpec.EC_P256))
                .isInstanceOf(KeyBackendUnavailableException.class)
                .satisfies(e -> assertThat(((KeyBackendException) e).retryable()).isTrue());

        BackendStatus again = backend.reconnect();

        assertThat(again.healthy()).isFalse();
        assertThat(again.message()).isNotBlank();
    }

    @Test
    void secretsNeverAppearInToString() {
        KeyBackend backend = started();
        SigningKey key = backend.createSigningKey(alias("shown"), KeySpec.EC_P256);
        KeyBackend offline = track(offlineBackend());
        offline.start();

        for (Object shown : List.of(backend, key, offline, backend.status(), offline.status())) {
            for (String secret : secrets()) {
                assertThat(shown.toString()).doesNotContain(secret);
            }
        }
    }

    /** Verification by the JDK's own providers, never the backend's. */
    protected static boolean verifies(PublicKey key, KeySpec spec, byte[] data, byte[] signature)
            throws GeneralSecurityException {
        Signature verifier = Signature.getInstance(spec.signatureAlgorithm(),
                spec.keyAlgorithm().equals("EC") ? "SunEC" : "SunRsaSign");
        verifier.initVerify(key);
        verifier.update(data);
        return verifier.verify(signature);
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
