package dev.rotakey.service;

import dev.rotakey.core.AcknowledgementPolicy;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.PasswordPolicy;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.targets.TargetBinding;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What a change does, from before and after: changed fields, bindings kept in place, added and removed, new material. */
class CredentialDiffTest {
    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
    private static final TargetBinding A = new TargetBinding("files", Map.of("path", "a"));
    private static final TargetBinding B = new TargetBinding("files", Map.of("path", "b"));
    private static final TargetBinding C = new TargetBinding("files", Map.of("path", "c"));

    private static Credential password(RotationPolicy policy, List<TargetBinding> bindings, PasswordPolicy pw,
                                       AcknowledgementPolicy acks, List<String> scopes) {
        return new Credential("c", "agent", CredentialType.PASSWORD, "hsm", policy, Duration.ofHours(1), bindings,
                Credential.CredentialStatus.ACTIVE, null, NOW, null, null, pw, acks, scopes);
    }

    private static final RotationPolicy WEEKLY = RotationPolicy.every(Duration.ofDays(7));
    private static final PasswordPolicy PW = new PasswordPolicy(24, PasswordPolicy.DEFAULT_ALPHABET);

    @Test
    void nothingChangedIsNoChange() {
        Credential c = password(WEEKLY, List.of(A, B), PW, null, List.of("read"));
        CredentialDiff d = CredentialDiff.of(c, c);
        assertThat(d.changes()).isEmpty();
        assertThat(d.needsNewMaterial()).isFalse();
        assertThat(d.bindingsChange()).isFalse();
    }

    @Test
    void aScheduleChangeNeedsNoNewMaterial() {
        CredentialDiff d = CredentialDiff.of(password(WEEKLY, List.of(A), PW, null, List.of()),
                password(RotationPolicy.MANUAL, List.of(A), PW, null, List.of("read")));
        assertThat(d.changes()).containsExactly("rotation", "scopes");
        assertThat(d.needsNewMaterial()).isFalse();
    }

    @Test
    void keptBindingsKeepTheirPlaceAddedOnesComeLastAndRemovedOnesAreListedWithTheirOldIndex() {
        CredentialDiff d = CredentialDiff.of(password(WEEKLY, List.of(A, B, C), PW, null, List.of()),
                password(WEEKLY, List.of(new TargetBinding("files", Map.of("path", "d")), C, A), PW, null, List.of()));
        assertThat(d.bindings()).containsExactly(A, C, new TargetBinding("files", Map.of("path", "d")));
        assertThat(d.keptFrom()).containsExactly(0, 2);
        assertThat(d.removed()).containsExactly(B);
        assertThat(d.removedFrom()).containsExactly(1);
        assertThat(d.changes()).containsExactly("targets");
        assertThat(d.materialReason()).contains("target(s) added");
    }

    @Test
    void onlyRemovingABindingNeedsNoNewMaterial() {
        CredentialDiff d = CredentialDiff.of(password(WEEKLY, List.of(A, B), PW, null, List.of()),
                password(WEEKLY, List.of(B), PW, null, List.of()));
        assertThat(d.needsNewMaterial()).isFalse();
        assertThat(d.keptFrom()).containsExactly(1);
        assertThat(d.removedFrom()).containsExactly(0);
    }

    @Test
    void aPasswordPolicyChangeNeedsNewMaterial() {
        CredentialDiff d = CredentialDiff.of(password(WEEKLY, List.of(A), PW, null, List.of()),
                password(WEEKLY, List.of(A), new PasswordPolicy(40, PasswordPolicy.DEFAULT_ALPHABET), null, List.of()));
        assertThat(d.changes()).containsExactly("length");
        assertThat(d.materialReason()).contains("password policy");
    }

    @Test
    void anAcknowledgementPolicyChangeNamesItsFields() {
        CredentialDiff d = CredentialDiff.of(password(WEEKLY, List.of(A), PW, null, List.of()),
                password(WEEKLY, List.of(A), PW, new AcknowledgementPolicy(List.of("svc"), Duration.ofHours(3)), List.of()));
        assertThat(d.changes()).containsExactly("revokeWhen", "consumers", "maxGracePeriod");
        assertThat(d.needsNewMaterial()).isFalse();
    }
}
