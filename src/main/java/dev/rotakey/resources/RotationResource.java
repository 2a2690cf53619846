package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.RecentRotationsView;
import dev.rotakey.api.RotationView;
import dev.rotakey.auth.Operator;
import dev.rotakey.service.CredentialQueries;
import dev.rotakey.service.FleetQueries;
import io.dropwizard.jersey.params.IntParam;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.QueryParam;
import dev.rotakey.service.OwnerScope;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code /api/v1/rotations?since=PT24H&state=FAILED&limit=100}: the fleet's recent rotations, FAILED first; {@code
 * /api/v1/rotations/{id}}: one rotation with the record of every step it ran.
 */
@Path("/api/v1/rotations")
@Produces(MediaType.APPLICATION_JSON)
public final class RotationResource {
    private final CredentialQueries queries;
    private final OwnerScope scope;
    private final FleetQueries fleet;

    public RotationResource(CredentialQueries queries, OwnerScope scope, FleetQueries fleet) {
        this.queries = queries;
        this.scope = scope;
        this.fleet = fleet;
    }

    @GET
    @Timed
    public RecentRotationsView recent(@QueryParam("since") String since, @QueryParam("state") String state,
                                      @QueryParam("limit") @DefaultValue("100") IntParam limit) {
        return fleet.rotations(since, state, limit.get());
    }

    @GET
    @Path("{id}")
    @Timed
    public RotationView get(@PathParam("id") String id, @Context HttpServletRequest request) {
        scope.rotation(Operator.of(request).bounds(), id);
        return queries.rotation(id);
    }
}
