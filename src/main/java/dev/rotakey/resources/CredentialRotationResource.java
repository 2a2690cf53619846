package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.auth.Operator;
import dev.rotakey.batch.OperatorBatches;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.tasks.TaskViews;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /api/v1/credentials/{id}/rotate}: starts the credential's rotation, as {@code POST /tasks/rotate?credential=}
 * does on the admin port, for callers of the API port (an agent's own certificate among them), within their scope.
 */
@Tag(name = "rotations")
@Path("/api/v1/credentials/{id}/rotate")
@Produces(MediaType.APPLICATION_JSON)
public final class CredentialRotationResource {
    private final OperatorBatches batches;
    private final OwnerScope scope;

    public CredentialRotationResource(OperatorBatches batches, OwnerScope scope) {
        this.batches = batches;
        this.scope = scope;
    }

    @Operation(summary = "Rotate a credential now (as POST /tasks/rotate?credential=)",
            responses = @ApiResponse(responseCode = "202", description = "The started rotation and its batch"))
    @POST
    @Timed
    public Response rotate(@PathParam("id") String id, @Context HttpServletRequest request) {
        Operator operator = Operator.of(request);
        // Owner-scoped tokens and agents rotate their own credentials only; others are not found.
        scope.credential(operator.bounds(), id);
        // The task's own path: same checks (decommissioned, already rotating), same batch and operator.rotate audit.
        OperatorBatches.Started started = batches.rotateCredential(id, operator.actor());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("rotations", TaskViews.rotations(List.of(started.rotation())));
        answer.put("batch", TaskViews.batch(started.batch()));
        return Response.accepted(answer).build();
    }
}
