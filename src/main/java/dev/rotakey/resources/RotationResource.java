package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.RotationView;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.Store;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code /api/v1/rotations/{id}}: one rotation with the record of every step it ran. */
@Path("/api/v1/rotations")
@Produces(MediaType.APPLICATION_JSON)
public final class RotationResource {
    private final Store store;

    public RotationResource(Store store) {
        this.store = store;
    }

    @GET
    @Path("{id}")
    @Timed
    public RotationView get(@PathParam("id") String id) {
        return store.read(d -> d.rotations().find(id).map(r -> RotationView.of(r, d.rotations().steps(id))))
                .orElseThrow(() -> RejectedException.notFound("rotation", id));
    }
}
