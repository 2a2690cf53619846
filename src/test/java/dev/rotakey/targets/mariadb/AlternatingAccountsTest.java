package dev.rotakey.targets.mariadb;

import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.VersionReferences;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Which login user a version of an alternating binding goes to: by what the CURRENT version holds, never by parity. */
class AlternatingAccountsTest {
    private static final UserBinding ALTERNATING = UserBinding.parse(
            new TargetBinding("maria-main", Map.of("user", "reporting", "strategy", "alternating")));
    private static final UserBinding SINGLE = UserBinding.parse(new TargetBinding("maria-main", Map.of("user", "reporting")));

    /** The reference of a version placed on {@code user} (any hash will do: only the user part decides). */
    private static String reference(int version, String user) {
        return AccountReference.of(user, "%", NativePassword.of(("pw" + version).getBytes())).text();
    }

    private static VersionReferences placed(int version, String user) {
        return new VersionReferences(version, List.of(reference(version, user)));
    }

    @Test
    void theFirstVersionHasNoCurrentAndGoesToA() {
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 1, List.of(), null)).isEqualTo("reporting_a");
    }

    @Test
    void aNewVersionGoesToTheUserTheCurrentVersionDoesNotHold() {
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 2, List.of(), placed(1, "reporting_a"))).isEqualTo("reporting_b");
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 3, List.of(), placed(2, "reporting_b"))).isEqualTo("reporting_a");
    }

    @Test
    void versionsUsedUpByFailedRotationsDoNotMoveTheNextOntoTheCurrentUser() {
        // v1 CURRENT on _a; v2 failed (on _b); v3: parity would say _a, where the agent is logged in.
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 3, List.of(), placed(1, "reporting_a"))).isEqualTo("reporting_b");
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 4, List.of(), placed(1, "reporting_a"))).isEqualTo("reporting_b");
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 5, List.of(), placed(4, "reporting_b"))).isEqualTo("reporting_a");
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 6, List.of(), placed(4, "reporting_b"))).isEqualTo("reporting_a");
    }

    @Test
    void aVersionIssuedAgainAfterARestartKeepsTheUserItsReferenceNames() {
        List<String> own = List.of(reference(4, "reporting_a"));
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 4, own, placed(3, "reporting_b"))).isEqualTo("reporting_a");
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 4, own, null)).isEqualTo("reporting_a");
        assertThat(AlternatingAccounts.forVersion(ALTERNATING, 4, own, placed(1, "reporting_a")))
                .as("its own record wins even over a CURRENT version on the same user: it was placed there")
                .isEqualTo("reporting_a");
    }

    @Test
    void theUserOfARecordedVersionIsTheOneItsReferenceNames() {
        assertThat(AlternatingAccounts.userOf(ALTERNATING, placed(3, "reporting_b"))).isEqualTo("reporting_b");
        assertThat(AlternatingAccounts.usersOf(ALTERNATING, 3, List.of(reference(3, "reporting_b")))).containsExactly("reporting_b");
        // A reference naming a user outside the pair (another binding's) names nothing here: parity decides.
        assertThat(AlternatingAccounts.usersOf(ALTERNATING, 3, List.of(reference(3, "other_b")))).containsExactly("reporting_a");
        assertThat(AlternatingAccounts.userOf(ALTERNATING, new VersionReferences(8, List.of()))).isEqualTo("reporting_b");
    }

    @Test
    void singleAlwaysUsesTheUserItself() {
        assertThat(AlternatingAccounts.forVersion(SINGLE, 2, List.of(), placed(1, "reporting"))).isEqualTo("reporting");
        assertThat(AlternatingAccounts.userOf(SINGLE, placed(5, "reporting"))).isEqualTo("reporting");
        assertThat(AlternatingAccounts.usersOf(SINGLE, 5, List.of())).containsExactly("reporting");
    }
}
