package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.FleetView;
import dev.rotakey.service.FleetQueries;
import io.dropwizard.jersey.params.IntParam;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /api/v1/fleet?owners=10}: the fleet in aggregate — credentials by status, type and owner (the largest
 * owners and what the rest add up to), failing, rotating and overdue counts, versions by state.
 */
@Path("/api/v1/fleet")
@Produces(MediaType.APPLICATION_JSON)
public final class FleetResource {
    private final FleetQueries fleet;

    public FleetResource(FleetQueries fleet) {
        this.fleet = fleet;
    }

    @GET
    @Timed
    public FleetView fleet(@QueryParam("owners") @DefaultValue("10") IntParam owners) {
        return fleet.fleet(owners.get());
    }
}
