package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.service.OperatorQueries;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.Map;

/**
 * {@code GET /api/v1/alerts}: the alerts firing now (as of the last evaluation), oldest first, with
 * their labels, when they started, when they were last notified and how many times.
 */
@Tag(name = "status")
@Path("/api/v1/alerts")
@Produces(MediaType.APPLICATION_JSON)
public final class AlertResource {
    private final OperatorQueries queries;

    public AlertResource(OperatorQueries queries) {
        this.queries = queries;
    }

    @Operation(summary = "The alerts firing now, with their owners")
    @GET
    @Timed
    public Map<String, Object> firing() {
        return Map.of("alerts", queries.firingAlerts());
    }
}
