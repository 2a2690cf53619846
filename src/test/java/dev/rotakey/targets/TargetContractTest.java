package dev.rotakey.targets;

import dev.rotakey.core.Secret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The behaviour every {@link Target} promises to the rotation workflow, written against the
 * interface only; each target type runs it by extending this class and supplying the hooks.
 */
public abstract class TargetContractTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    protected Target target;
    private final List<Secret> materials = new ArrayList<>();

    /** A fresh target of the type under test, pointed at an empty system. */
    protected abstract Target newTarget() throws Exception;

    /** A valid binding of {@code credentialId} to the target returned by {@link #newTarget()}. */
    protected abstract TargetBinding binding(String credentialId);

    /**
     * What the target holds for {@code binding} now, when the test can look behind the target's
     * back (a file's bytes, a KV entry); empty when it cannot, or when nothing is there.
     */
    protected Optional<byte[]> readBack(TargetBinding binding) throws Exception {
        return Optional.empty();
    }

    /** Whether {@link #readBack} can see the target at all; turns on the read-back assertions. */
    protected boolean canReadBack() {
        return false;
    }

    /** New material of the kind this target accepts (a random API-key-like string by default). */
    protected Secret newMaterial() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Secret.of("rk_test_" + HexFormat.of().formatHex(bytes));
    }

    /**
     * Recognises the material of a version, as production does by comparing backend digests;
     * tests still know the plaintext, so they compare with it directly.
     */
    protected Revocation.MaterialMatcher matcherFor(Secret material) {
        return content -> {
            byte[] expected = material.utf8();
            try {
                return MessageDigest.isEqual(content, expected);
            } finally {
                Arrays.fill(expected, (byte) 0);
            }
        };
    }

    @BeforeEach
    final void openTarget() throws Exception {
        target = newTarget();
    }

    @AfterEach
    final void closeTarget() {
        if (target != null) {
            target.close();
        }
        materials.forEach(Secret::destroy);
    }

    protected Secret material() {
        Secret s = newMaterial();
        materials.add(s);
        return s;
    }

    /** The credential type the contract's materials are ({@code api-key} unless a subclass says otherwise). */
    protected String credentialType() {
        return "api-key";
    }

    protected Delivery delivery(String credentialId, int version, Secret material) {
        return new Delivery("agent-" + credentialId, credentialId, credentialType(), version, binding(credentialId), material);
    }

    /**
     * A revocation as production builds it: with the material matcher and the reference the target
     * gave for this material before its delivery (Rotakey persists it then; the test recomputes it).
     */
    protected Revocation revocation(String credentialId, int version, Secret material) {
        String reference = target.materialReference(delivery(credentialId, version, material));
        return new Revocation("agent-" + credentialId, credentialId, credentialType(), version, binding(credentialId),
                matcherFor(material), reference == null ? List.of() : List.of(reference));
    }

    private void assertHolds(String credentialId, Secret material) throws Exception {
        if (canReadBack()) {
            assertThat(readBack(binding(credentialId))).hasValueSatisfying(content -> {
                byte[] expected = material.utf8();
                assertThat(content).isEqualTo(expected);
            });
        }
    }

    private void assertHoldsNothing(String credentialId) throws Exception {
        if (canReadBack()) {
            assertThat(readBack(binding(credentialId))).isEmpty();
        }
    }

    @Test
    void describesItself() {
        assertThat(target.name()).isNotBlank();
        assertThat(target.type()).isNotBlank();
    }

    @Test
    void acceptsTheBindingUsedByTheseTests() {
        assertThatCode(() -> target.validateBinding(binding("accepted"))).doesNotThrowAnyException();
    }

    @Test
    void deliveredVersionVerifies() throws Exception {
        Secret v1 = material();
        target.deliver(delivery("c1", 1, v1));
        target.verify(delivery("c1", 1, v1));
        assertHolds("c1", v1);
    }

    @Test
    void deliveringTwiceIsIdempotent() throws Exception {
        Secret v1 = material();
        target.deliver(delivery("c1", 1, v1));
        target.deliver(delivery("c1", 1, v1));
        target.verify(delivery("c1", 1, v1));
        assertHolds("c1", v1);
    }

    @Test
    void verifyFailsWhenNothingWasDelivered() {
        assertThatThrownBy(() -> target.verify(delivery("c1", 1, material()))).isInstanceOf(TargetException.class);
    }

    @Test
    void verifyFailsForMaterialNeverDelivered() {
        target.deliver(delivery("c1", 1, material()));
        assertThatThrownBy(() -> target.verify(delivery("c1", 2, material()))).isInstanceOf(TargetException.class);
    }

    @Test
    void newerVersionReplacesTheOlder() throws Exception {
        Secret v1 = material();
        Secret v2 = material();
        target.deliver(delivery("c1", 1, v1));
        target.deliver(delivery("c1", 2, v2));
        target.verify(delivery("c1", 2, v2));
        assertHolds("c1", v2);
    }

    @Test
    void revokingTheOldVersionLeavesTheNewerWorking() throws Exception {
        Secret v1 = material();
        Secret v2 = material();
        target.deliver(delivery("c1", 1, v1));
        target.deliver(delivery("c1", 2, v2));
        target.verify(delivery("c1", 2, v2));

        target.revoke(revocation("c1", 1, v1));

        target.verify(delivery("c1", 2, v2));
        assertHolds("c1", v2);
    }

    @Test
    void revokedVersionNoLongerVerifies() throws Exception {
        Secret v1 = material();
        target.deliver(delivery("c1", 1, v1));
        target.revoke(revocation("c1", 1, v1));
        assertThatThrownBy(() -> target.verify(delivery("c1", 1, v1))).isInstanceOf(TargetException.class);
        assertHoldsNothing("c1");
    }

    @Test
    void revokingTwiceIsHarmless() throws Exception {
        Secret v1 = material();
        Secret v2 = material();
        target.deliver(delivery("c1", 1, v1));
        target.deliver(delivery("c1", 2, v2));
        target.revoke(revocation("c1", 1, v1));
        target.revoke(revocation("c1", 1, v1));
        target.verify(delivery("c1", 2, v2));
        assertHolds("c1", v2);
    }

    @Test
    void revokingWhatWasNeverDeliveredIsHarmless() {
        assertThatCode(() -> target.revoke(revocation("never", 1, material()))).doesNotThrowAnyException();
    }

    @Test
    void discardingAFailedVersionPutsThePreviousBack() throws Exception {
        Secret v1 = material();
        Secret v2 = material();
        target.deliver(delivery("c1", 1, v1));
        target.deliver(delivery("c1", 2, v2));

        target.discard(revocation("c1", 2, v2));

        target.verify(delivery("c1", 1, v1));
        assertThatThrownBy(() -> target.verify(delivery("c1", 2, v2))).isInstanceOf(TargetException.class);
        assertHolds("c1", v1);
    }

    @Test
    void discardingTwiceIsHarmless() throws Exception {
        Secret v1 = material();
        Secret v2 = material();
        target.deliver(delivery("c1", 1, v1));
        target.deliver(delivery("c1", 2, v2));
        target.discard(revocation("c1", 2, v2));
        target.discard(revocation("c1", 2, v2));
        target.verify(delivery("c1", 1, v1));
        assertHolds("c1", v1);
    }

    @Test
    void discardingAVersionThatNeverArrivedKeepsTheCurrentOne() throws Exception {
        Secret v1 = material();
        target.deliver(delivery("c1", 1, v1));
        target.discard(revocation("c1", 2, material()));
        target.verify(delivery("c1", 1, v1));
        assertHolds("c1", v1);
    }

    @Test
    void discardingTheFirstVersionLeavesNothingBehind() throws Exception {
        Secret v1 = material();
        target.deliver(delivery("c1", 1, v1));
        target.discard(revocation("c1", 1, v1));
        target.discard(revocation("c1", 1, v1));
        assertThatThrownBy(() -> target.verify(delivery("c1", 1, v1))).isInstanceOf(TargetException.class);
        assertHoldsNothing("c1");
    }

    @Test
    void aFullLifecycleKeepsTheCurrentVersionWorking() throws Exception {
        Secret v1 = material();
        Secret v2 = material();
        Secret v3 = material();
        target.deliver(delivery("c1", 1, v1));
        target.verify(delivery("c1", 1, v1));
        // rotation to v2 succeeds, v1 is revoked after its grace period
        target.deliver(delivery("c1", 2, v2));
        target.verify(delivery("c1", 2, v2));
        target.revoke(revocation("c1", 1, v1));
        // rotation to v3 fails and is cleaned up: v2 is still current
        target.deliver(delivery("c1", 3, v3));
        target.discard(revocation("c1", 3, v3));
        target.verify(delivery("c1", 2, v2));
        assertThatThrownBy(() -> target.verify(delivery("c1", 1, v1))).isInstanceOf(TargetException.class);
        assertHolds("c1", v2);
    }

    @Test
    void credentialsDoNotDisturbEachOther() {
        Secret a = material();
        Secret b = material();
        target.deliver(delivery("a", 1, a));
        target.deliver(delivery("b", 1, b));
        target.revoke(revocation("a", 1, a));
        target.verify(delivery("b", 1, b));
    }

    @Test
    void neverRevealsTheMaterial() {
        Secret v1 = material();
        Secret v2 = material();
        Secret never = material();
        target.deliver(delivery("c1", 1, v1));
        target.deliver(delivery("c1", 2, v2));

        List<String> texts = new ArrayList<>();
        texts.add(String.valueOf(target));
        texts.add(String.valueOf(delivery("c1", 2, v2)));
        texts.add(String.valueOf(revocation("c1", 1, v1)));
        texts.add(String.valueOf(v2));
        TargetException wrong = catchThrowableOfType(TargetException.class, () -> target.verify(delivery("c1", 3, never)));
        assertThat(wrong).isNotNull();
        for (Throwable t = wrong; t != null; t = t.getCause()) {
            texts.add(String.valueOf(t));
        }

        for (Secret s : List.of(v1, v2, never)) {
            String plaintext = s.reveal();
            assertThat(texts).noneSatisfy(text -> assertThat(text).contains(plaintext));
        }
    }
}
