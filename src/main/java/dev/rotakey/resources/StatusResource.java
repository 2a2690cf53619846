package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.service.StatusReport;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.Map;

/**
 * {@code GET /api/v1/status}: whether rotations are paused, versions by state, recent failures, consumers
 * overdue with their acknowledgements, alerts firing, backends.
 */
@Path("/api/v1/status")
@Produces(MediaType.APPLICATION_JSON)
public final class StatusResource {
    private final StatusReport report;

    public StatusResource(StatusReport report) {
        this.report = report;
    }

    @GET
    @Timed
    public Map<String, Object> status() {
        return report.status();
    }
}
