package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.PlanView;
import dev.rotakey.service.RotationPlanner;
import io.dropwizard.jersey.params.IntParam;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /api/v1/plan?within=PT24H&limit=100}: what the scheduler will rotate, revoke and let expire
 * in the coming window, for an operator to see a storm coming. Admin tokens, like every other read.
 */
@Tag(name = "status")
@Path("/api/v1/plan")
@Produces(MediaType.APPLICATION_JSON)
public final class PlanResource {
    private final RotationPlanner planner;

    public PlanResource(RotationPlanner planner) {
        this.planner = planner;
    }

    @Operation(summary = "What rotates, is revoked or expires in the coming window")
    @GET
    @Timed
    public PlanView plan(@QueryParam("within") String within,
                         @QueryParam("limit") @DefaultValue("100") IntParam limit) {
        return planner.plan(within, limit.get());
    }
}
