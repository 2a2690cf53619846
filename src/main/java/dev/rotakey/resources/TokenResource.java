package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.TokenView;
import dev.rotakey.auth.OperatorTokens;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;

/**
 * {@code GET /api/v1/tokens}: every bearer token, revoked ones too, by name, with its role, expiry and last use (at most
 * a minute behind); never a secret. Tokens are issued, rotated and revoked by the admin port's tasks.
 */
@Tag(name = "tokens")
@Path("/api/v1/tokens")
@Produces(MediaType.APPLICATION_JSON)
public final class TokenResource {
    private final OperatorTokens tokens;
    private final Clock clock;

    public TokenResource(OperatorTokens tokens, Clock clock) {
        this.tokens = tokens;
        this.clock = clock;
    }

    @Operation(summary = "Every bearer token with its role, owner and use; never a secret")
    @GET
    @Timed
    public Map<String, Object> list() {
        Instant now = clock.instant();
        return Map.of("tokens", tokens.list().stream().map(t -> TokenView.of(t, now)).toList());
    }
}
