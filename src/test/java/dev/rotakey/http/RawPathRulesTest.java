package dev.rotakey.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Which raw request paths are refused as ambiguous, and that ordinary ones pass. */
class RawPathRulesTest {
    @ParameterizedTest
    @ValueSource(strings = {"/ping/../healthcheck", "/ping/..", "/./healthcheck", "/healthcheck/.", "/a/./b",
            "/ping/%2e%2e/healthcheck", "/ping/%2E%2E/healthcheck", "/ping/.%2e/healthcheck", "/ping/%2e./x",
            "/ping/..;/healthcheck", "/ping;x=1/../healthcheck", "/ping/..%2fhealthcheck", "/ping%2F..%2Fhealthcheck",
            "/ping/..\\healthcheck", "/ping/%5c..%5chealthcheck", "//healthcheck", "/ping//../healthcheck",
            "/api/v1/cas/x/..%3b/agents", "/a%00b", "/a%252e%252e/b", "/a%zz", "/a%f", "/a b", "/a\tb", "relative",
            ""})
    void refusesAmbiguousPaths(String raw) {
        assertThat(RawPathRules.problem(raw)).as(raw).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/healthcheck", "/healthcheck.", "/api/v1/credentials/billing-agent.api_2/versions/3/ack",
            "/api/v1/cas/agents-ca/crl", "/tasks/rotate", "/api/v1/agents/caf%C3%A9", "/a/.hidden", "/a/..b", "/a/b.."})
    void passesUnambiguousPaths(String raw) {
        assertThat(RawPathRules.problem(raw)).as(raw).isEmpty();
    }
}
