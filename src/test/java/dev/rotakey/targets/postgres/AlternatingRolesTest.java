package dev.rotakey.targets.postgres;

import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.VersionReferences;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Which login role a version of an alternating binding goes to: by what the CURRENT version holds, never by parity. */
class AlternatingRolesTest {
    private static final String CREDENTIAL = "reporting-pw";
    private static final RoleBinding ALTERNATING = RoleBinding.parse(
            new TargetBinding("pg-main", Map.of("role", "reporting", "strategy", "alternating")));
    private static final RoleBinding SINGLE = RoleBinding.parse(
            new TargetBinding("pg-main", Map.of("role", "reporting")));

    /** The reference a version placed on {@code role} records (its verifier's salt). */
    private static String reference(int version, String role) {
        return Base64.getEncoder().encodeToString(PostgresRoleTarget.salt(CREDENTIAL, version, role));
    }

    private static VersionReferences placed(int version, String role) {
        return new VersionReferences(version, List.of(reference(version, role)));
    }

    @Test
    void theFirstVersionHasNoCurrentAndGoesToA() {
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 1, List.of(), null)).isEqualTo("reporting_a");
    }

    @Test
    void aNewVersionGoesToTheRoleTheCurrentVersionDoesNotHold() {
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 2, List.of(), placed(1, "reporting_a")))
                .isEqualTo("reporting_b");
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 3, List.of(), placed(2, "reporting_b")))
                .isEqualTo("reporting_a");
    }

    @Test
    void versionsUsedUpByFailedRotationsDoNotMoveTheNextOntoTheCurrentRole() {
        // v1 CURRENT on _a; v2 failed (on _b); v3: parity would say _a, where the agent is logged in.
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 3, List.of(), placed(1, "reporting_a")))
                .isEqualTo("reporting_b");
        // v3 failed as well; v4 still goes next to v1, not onto it.
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 4, List.of(), placed(1, "reporting_a")))
                .isEqualTo("reporting_b");
        // v4 promoted on _b; v5 goes to _a though both are odd.
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 5, List.of(), placed(4, "reporting_b")))
                .isEqualTo("reporting_a");
        // v6 after v5 failed: CURRENT v4 is on _b, so _a again (parity would say _b).
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 6, List.of(), placed(4, "reporting_b")))
                .isEqualTo("reporting_a");
    }

    @Test
    void aVersionIssuedAgainAfterARestartKeepsTheRoleItsReferenceNames() {
        // v4 was placed on _a while v3 (on _b) was CURRENT; whatever CURRENT says now, v4 stays where it went.
        List<String> own = List.of(reference(4, "reporting_a"));
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 4, own, placed(3, "reporting_b")))
                .isEqualTo("reporting_a");
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 4, own, null)).isEqualTo("reporting_a");
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 4, own, placed(1, "reporting_a")))
                .as("its own record wins even over a CURRENT version on the same role: it was placed there")
                .isEqualTo("reporting_a");
    }

    @Test
    void theRoleOfARecordedVersionIsTheOneItsReferenceNames() {
        assertThat(AlternatingRoles.roleOf(ALTERNATING, CREDENTIAL, placed(3, "reporting_b"))).isEqualTo("reporting_b");
        assertThat(AlternatingRoles.rolesOf(ALTERNATING, CREDENTIAL, 3, List.of(reference(3, "reporting_b"))))
                .containsExactly("reporting_b");
        // A reference of another version or credential names nothing here.
        assertThat(AlternatingRoles.rolesOf(ALTERNATING, CREDENTIAL, 3, List.of(reference(5, "reporting_b"))))
                .containsExactly("reporting_a");
    }

    @Test
    void versionsRecordedWithoutAReferenceKeepTheRoleParityGaveThem() {
        assertThat(AlternatingRoles.roleOf(ALTERNATING, CREDENTIAL, new VersionReferences(7, List.of()))).isEqualTo("reporting_a");
        assertThat(AlternatingRoles.roleOf(ALTERNATING, CREDENTIAL, new VersionReferences(8, List.of()))).isEqualTo("reporting_b");
        assertThat(AlternatingRoles.forVersion(ALTERNATING, CREDENTIAL, 9, List.of(), new VersionReferences(8, List.of())))
                .isEqualTo("reporting_a");
    }

    @Test
    void singleAlwaysUsesTheRoleItself() {
        assertThat(AlternatingRoles.forVersion(SINGLE, CREDENTIAL, 2, List.of(), placed(1, "reporting"))).isEqualTo("reporting");
        assertThat(AlternatingRoles.roleOf(SINGLE, CREDENTIAL, placed(5, "reporting"))).isEqualTo("reporting");
    }
}
