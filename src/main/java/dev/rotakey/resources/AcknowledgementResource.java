package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.AcknowledgeRequest;
import dev.rotakey.api.AcknowledgementView;
import dev.rotakey.api.ErrorBody;
import dev.rotakey.auth.AuthenticationFailures;
import dev.rotakey.auth.Operator;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.core.RejectedException;
import dev.rotakey.service.AcknowledgementService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Optional;

/**
 * {@code POST /api/v1/credentials/{id}/versions/{n}/ack}: a consumer confirms it uses version n, with an
 * admin token or by presenting that version's own secret (the bearer filter lets only this path through
 * without a token, so the check here is the authentication).
 */
@Tag(name = "credentials")
@Path("/api/v1/credentials/{id}/versions/{n}/ack")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class AcknowledgementResource {
    private final AcknowledgementService acknowledgements;
    private final AuthenticationFailures failures;
    private final OwnerScope scope;

    public AcknowledgementResource(AcknowledgementService acknowledgements, AuthenticationFailures failures) {
        this(acknowledgements, failures, null);
    }

    /** @param scope confines an agent's certificate to its own credentials (null: nothing is confined) */
    public AcknowledgementResource(AcknowledgementService acknowledgements, AuthenticationFailures failures,
                                   OwnerScope scope) {
        this.acknowledgements = acknowledgements;
        this.failures = failures;
        this.scope = scope;
    }

    @Operation(summary = "Acknowledge that a consumer uses a version (a token, or the version's own key)",
            responses = @ApiResponse(responseCode = "200", description = "The acknowledgement",
                    content = @Content(schema = @Schema(implementation = AcknowledgementView.class))))
    @POST
    @Timed
    public Response acknowledge(@PathParam("id") String id, @PathParam("n") String n, AcknowledgeRequest body,
                                @Context HttpServletRequest request) {
        int version = parseVersion(n);
        Optional<Operator> operator = Operator.find(request);
        String consumer = body == null ? null : body.consumer();
        String actor;
        if (operator.isPresent()) {
            if (scope != null) {
                // An agent acknowledges its own credentials' versions only; another's is not found.
                scope.credential(operator.get().bounds(), id);
            }
            actor = operator.get().actor();
        } else {
            String key = body == null ? null : body.key();
            if (key == null || key.isEmpty()) {
                return refused(request, id, version, "missing Authorization header or key: use 'Authorization: "
                        + "Bearer <token>' or present the version's key in the body");
            }
            if (!acknowledgements.holdsVersionSecret(id, version, key)) {
                // The same answer for an unknown credential, version or key: nothing to learn by probing.
                return refused(request, id, version, "the key is not the secret of this version");
            }
            actor = "consumer:" + (consumer == null ? "?" : consumer);
        }
        return Response.ok(AcknowledgementView.of(acknowledgements.acknowledge(id, version, consumer, actor,
                request.getRemoteAddr()))).build();
    }

    private static int parseVersion(String n) {
        try {
            int v = Integer.parseInt(n);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw RejectedException.notFound("version", n);
    }

    private Response refused(HttpServletRequest request, String id, int version, String problem) {
        String subject = "POST /api/v1/credentials/" + id + "/versions/" + version + "/ack";
        ErrorBody body = failures.refuse(AuthenticationFailures.Kind.VERSION_SECRET, request.getRemoteAddr(), subject, problem);
        return Response.status(body.code()).type(MediaType.APPLICATION_JSON_TYPE)
                .header(AuthenticationFailures.CHALLENGE_HEADER, AuthenticationFailures.CHALLENGE)
                .entity(body).build();
    }
}
