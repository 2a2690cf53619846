package dev.rotakey.auth;

import org.junit.jupiter.api.Test;

import static dev.rotakey.auth.Role.ADMIN;
import static dev.rotakey.auth.Role.AUDITOR;
import static dev.rotakey.auth.Role.MONITOR;
import static dev.rotakey.auth.Role.OPERATOR;
import static dev.rotakey.auth.Role.OWNER;
import static dev.rotakey.auth.Role.VERIFIER;
import static org.assertj.core.api.Assertions.assertThat;

/** The narrowest role a token's calls needed, from the access policy's table. */
class NeededRolesTest {
    private static AccessPolicy.Rule rule(AccessPolicy.Port port, String method, String path) {
        return AccessPolicy.rule(port, method, path).orElseThrow();
    }

    @Test
    void aCallNeedsTheLeastPrivilegedRoleItsRuleAdmitsPreferringTheCallersOwn() {
        AccessPolicy.Rule agents = rule(AccessPolicy.Port.API, "GET", "/api/v1/agents");
        assertThat(NeededRoles.of(agents, ADMIN)).isEqualTo(AUDITOR);
        assertThat(NeededRoles.of(agents, OWNER)).isEqualTo(OWNER);
        assertThat(NeededRoles.of(rule(AccessPolicy.Port.API, "POST", "/api/v1/api-keys/verify"), ADMIN)).isEqualTo(VERIFIER);
        assertThat(NeededRoles.of(rule(AccessPolicy.Port.ADMIN, "GET", "/metrics"), OPERATOR)).isEqualTo(MONITOR);
        assertThat(NeededRoles.of(rule(AccessPolicy.Port.ADMIN, "POST", "/tasks/issue-token"), ADMIN)).isEqualTo(ADMIN);
        assertThat(NeededRoles.of(rule(AccessPolicy.Port.API, "GET", "/api/v1/posture"), ADMIN)).isEqualTo(AUDITOR);
    }

    @Test
    void needsTogetherNeedARoleThatMayDoBothAndNeverMoreThanTheTokensOwn() {
        assertThat(NeededRoles.join(null, AUDITOR, ADMIN)).isEqualTo(AUDITOR);
        assertThat(NeededRoles.join(AUDITOR, MONITOR, ADMIN)).isEqualTo(AUDITOR);
        // Verifying keys and reading metrics: no role but admin may do both.
        assertThat(NeededRoles.join(VERIFIER, MONITOR, ADMIN)).isEqualTo(ADMIN);
        // An auditor lists tokens, which an operator may not.
        assertThat(NeededRoles.join(AUDITOR, OPERATOR, ADMIN)).isEqualTo(ADMIN);
        assertThat(NeededRoles.join(AUDITOR, OPERATOR, OPERATOR)).isEqualTo(OPERATOR);
        assertThat(NeededRoles.join(MONITOR, OPERATOR, ADMIN)).isEqualTo(OPERATOR);
    }

    @Test
    void aTokenIsBroaderThanNeededOnlyWhenANeedIsRecordedAndLessPrivileged() {
        assertThat(NeededRoles.broaderThanNeeded(ADMIN, AUDITOR)).isTrue();
        assertThat(NeededRoles.broaderThanNeeded(ADMIN, null)).isFalse();
        assertThat(NeededRoles.broaderThanNeeded(OWNER, OWNER)).isFalse();
        assertThat(NeededRoles.broaderThanNeeded(AUDITOR, OWNER)).isFalse();
        assertThat(NeededRoles.covers(ADMIN, VERIFIER)).isTrue();
        assertThat(NeededRoles.covers(OPERATOR, AUDITOR)).isFalse();
    }
}
