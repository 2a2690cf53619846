package dev.rotakey.resources;

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
@Path("/api/v1/alerts")
@Produces(MediaType.APPLICATION_JSON)
public final class AlertResource {
    private final OperatorQueries queries;

    public AlertResource(OperatorQueries queries) {
        this.queries = queries;
    }

    @GET
    @Timed
    public Map<String, Object> firing() {
        return Map.of("alerts", queries.firingAlerts());
    }
}
