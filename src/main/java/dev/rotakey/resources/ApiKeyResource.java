package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.VerifyKeyRequest;
import dev.rotakey.api.VerifyKeyResponse;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.RejectedException;
import dev.rotakey.service.ApiKeyVerifier;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

/** {@code POST /api/v1/api-keys/verify}: tells a consumer whether a presented key is valid, and whose it is. */
@Tag(name = "verification")
@Path("/api/v1/api-keys")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class ApiKeyResource {
    private final ApiKeyVerifier verifier;

    public ApiKeyResource(ApiKeyVerifier verifier) {
        this.verifier = verifier;
    }

    @Operation(summary = "Verify a presented API key: valid or not, why, and whose it is (with scopes and attributes)")
    @POST
    @Path("verify")
    @Timed
    public VerifyKeyResponse verify(VerifyKeyRequest body, @Context HttpServletRequest request) {
        if (body == null) {
            throw RejectedException.badRequest("a JSON body {\"key\": \"...\"} is required (optionally with \"requireScopes\": [...])");
        }
        Operator caller = Operator.of(request);
        return verifier.verify(body.key(), body.requireScopes(),
                new ApiKeyVerifier.Caller(caller.actor(), caller.name(), request.getRemoteAddr()));
    }
}
