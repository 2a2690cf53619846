package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.CreatedCredentialView;
import dev.rotakey.api.CredentialBatchRequest;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.RejectedException;
import dev.rotakey.service.CredentialBatch;
import dev.rotakey.service.CredentialService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;
import java.util.Map;

/**
 * {@code POST /api/v1/credentials:batch}: creates up to {@value CredentialBatch#MAX_ITEMS} credentials in one request,
 * each with version 1 issued at once, as {@code POST /api/v1/credentials} creates one. (A colon, not a path segment:
 * {@code /api/v1/credentials/batch} would be the credential named {@code batch}.)
 */
@Tag(name = "credentials")
@Path("/api/v1/credentials:batch")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class CredentialBatchResource {
    private final CredentialBatch batch;

    public CredentialBatchResource(CredentialBatch batch) {
        this.batch = batch;
    }

    @Operation(summary = "Create up to 1,000 credentials at once, all or none, each with its version 1",
            responses = @ApiResponse(responseCode = "201", description = "Each credential with its first rotation"))
    @POST
    @Timed
    public Response create(CredentialBatchRequest body, @Context HttpServletRequest request) {
        if (body == null) {
            throw RejectedException.badRequest("a JSON body is required: {\"credentials\": [ … ]}");
        }
        List<CredentialService.Created> created = batch.create(body.credentials(), Operator.of(request).actor());
        List<CreatedCredentialView> views = created.stream().map(c -> CreatedCredentialView.of(c.rotation())).toList();
        return Response.status(Response.Status.CREATED).entity(Map.of("credentials", views)).build();
    }
}
