package dev.rotakey.auth;

import dev.rotakey.auth.AccessPolicy.Port;
import dev.rotakey.auth.AccessPolicy.Rule;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The access table itself: what each role may and may not do, and that nothing undeclared is allowed. */
class AccessPolicyTest {
    @Test
    void adminsMayCallEveryDeclaredEndpointAndNothingUndeclared() {
        assertThat(AccessPolicy.RULES).allSatisfy(r -> assertThat(r.roles()).as(r.template()).contains(Role.ADMIN));
        assertThat(AccessPolicy.allows(Port.API, Role.ADMIN, "GET", "/api/v1/secrets")).isFalse();
        assertThat(AccessPolicy.allows(Port.API, Role.ADMIN, "OPTIONS", "/api/v1/agents")).isFalse();
        assertThat(AccessPolicy.allows(Port.API, Role.ADMIN, "DELETE", "/api/v1/agents/a1")).isFalse();
        assertThat(AccessPolicy.allows(Port.ADMIN, Role.ADMIN, "POST", "/tasks/unknown")).isFalse();
        assertThat(AccessPolicy.allows(Port.API, Role.ADMIN, "POST", "/tasks/rotate")).as("the other port's").isFalse();
    }

    @Test
    void aTemplateSegmentMatchesExactlyOneSegment() {
        assertThat(AccessPolicy.allows(Port.API, Role.AUDITOR, "GET", "/api/v1/agents/a1")).isTrue();
        assertThat(AccessPolicy.allows(Port.API, Role.AUDITOR, "GET", "/api/v1/agents/a1/x")).isFalse();
        assertThat(AccessPolicy.allows(Port.API, Role.AUDITOR, "GET", "/api/v1/agents/")).isFalse();
        assertThat(AccessPolicy.allows(Port.API, Role.AUDITOR, "HEAD", "/api/v1/agents/a1")).as("as its GET").isTrue();
    }

    @Test
    void auditorsReadEverythingAndChangeNothing() {
        for (Rule r : AccessPolicy.RULES) {
            assertThat(r.roles().contains(Role.AUDITOR)).as(r.method() + " " + r.template())
                    .isEqualTo(r.method().equals("GET") && !r.template().equals("/threads") && !r.template().equals("/pprof")
                            && !r.template().equals("/tasks"));
        }
    }

    @Test
    void monitorsSeeHealthAndMetricsOnly() {
        assertThat(AccessPolicy.RULES.stream().filter(r -> r.roles().contains(Role.MONITOR)).map(Rule::template))
                .containsExactlyInAnyOrder("/", "/healthcheck", "/metrics", "/metrics/prometheus",
                        "/dashboard", "/dashboard/", "/dashboard/credentials/{id}", "/dashboard/assets/{name}");
        assertThat(AccessPolicy.allows(Port.ADMIN, Role.MONITOR, "POST", "/tasks/rotate")).isFalse();
    }

    @Test
    void verifiersVerifyOnly() {
        assertThat(AccessPolicy.RULES.stream().filter(r -> r.roles().contains(Role.VERIFIER)).map(Rule::template))
                .containsExactly("/api/v1/api-keys/verify");
    }

    @Test
    void operatorsRotateButNeitherMintTokensNorRotateTheCa() {
        for (String task : new String[] {"rotate", "revoke", "decommission", "pause-rotations", "resume-rotations"}) {
            assertThat(AccessPolicy.allows(Port.ADMIN, Role.OPERATOR, "POST", "/tasks/" + task)).as(task).isTrue();
        }
        for (String task : new String[] {"issue-token", "revoke-token", "rotate-ca", "log-level", "gc"}) {
            assertThat(AccessPolicy.allows(Port.ADMIN, Role.OPERATOR, "POST", "/tasks/" + task)).as(task).isFalse();
        }
        assertThat(AccessPolicy.allows(Port.API, Role.OPERATOR, "POST", "/api/v1/api-keys/verify")).isFalse();
    }

    @Test
    void anUnknownPathIsNotFoundAndAnUndeclaredMethodNotAllowedForEveryRole() {
        for (Role role : Role.values()) {
            assertThat(AccessPolicy.decide(Port.API, role, "GET", "/api/v1/secrets")).isEqualTo(AccessPolicy.Decision.UNKNOWN);
            assertThat(AccessPolicy.decide(Port.API, role, "PUT", "/api/v1/agents/a1"))
                    .isEqualTo(AccessPolicy.Decision.WRONG_METHOD);
        }
        assertThat(AccessPolicy.methods(Port.API, "/api/v1/agents")).containsExactlyInAnyOrder("POST", "GET");
        assertThat(AccessPolicy.decide(Port.API, null, "GET", "/api/v1/agents")).as("a role no longer known")
                .isEqualTo(AccessPolicy.Decision.FORBIDDEN);
    }

    @Test
    void ownerScopedTokensReadRotateAndAttestTheInventoryOnly() {
        assertThat(AccessPolicy.RULES.stream().filter(r -> r.roles().contains(Role.OWNER)).map(r -> r.method() + " " + r.template()))
                .containsExactlyInAnyOrder("GET /api/v1/agents", "GET /api/v1/agents/{id}", "GET /api/v1/credentials",
                        "GET /api/v1/credentials/{id}", "GET /api/v1/credentials/{id}/rotations",
                        "GET /api/v1/rotations/{id}", "GET /api/v1/batches/{id}", "POST /tasks/rotate",
                        "POST /api/v1/credentials/{id}/rotate", "POST /api/v1/agents/{id}/attest",
                        "DELETE /api/v1/credentials/{id}");
    }

    @Test
    void anAgentsCertificateReadsAcknowledgesAndRotatesItsOwnOnTheApiPortOnly() {
        assertThat(AccessPolicy.RULES.stream().filter(r -> r.roles().contains(Role.AGENT))
                .map(r -> r.port() + " " + r.method() + " " + r.template()))
                .containsExactlyInAnyOrder("API GET /api/v1/agents/{id}", "API GET /api/v1/credentials",
                        "API GET /api/v1/credentials/{id}", "API GET /api/v1/credentials/{id}/rotations",
                        "API POST /api/v1/credentials/{id}/versions/{n}/ack", "API POST /api/v1/credentials/{id}/rotate");
        assertThat(Role.AGENT.issuable()).as("no token may carry the agent role").isFalse();
        assertThat(Role.of("agent")).contains(Role.AGENT);
    }
}
