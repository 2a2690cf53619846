package dev.rotakey.auth;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Which normalised paths {@link BearerTokenFilter} lets through without a token: public paths match exactly. */
class BearerTokenFilterPublicPathsTest {
    private final BearerTokenFilter app = BearerTokenFilter.application(null, null, null, null, List.of("/api/v1/cas/"),
            Set.of("/health/live", "/health/ready"));

    @Test
    void theProbesArePublicAndNothingBesideThem() {
        assertThat(app.isPublic("/health/live")).isTrue();
        assertThat(app.isPublic("/health/ready")).isTrue();
        assertThat(app.isPublic("/api/v1/cas/agents-ca/crl")).isTrue();
        for (String path : List.of("/health", "/health/", "/health/readyX", "/health/ready/", "/health/ready/x",
                "/health/ready/../../api/v1/agents", "/health/READY", "/Health/ready", "/health/live.json",
                "/health/ready%2f..", "/x/health/ready", "/api/v1/agents", "/healthcheck", "/")) {
            assertThat(app.isPublic(path)).as(path).isFalse();
        }
    }
}
