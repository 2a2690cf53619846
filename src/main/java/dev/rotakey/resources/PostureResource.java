package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.core.RejectedException;
import dev.rotakey.posture.PostureCsv;
import dev.rotakey.posture.PostureReport;
import dev.rotakey.posture.PostureReports;
import dev.rotakey.posture.Severity;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code GET /api/v1/posture?owner=&severity=&format=csv}: the fleet's posture report (score, counts, findings with
 * their remedies), as JSON or, with {@code format=csv} or {@code Accept: text/csv}, as CSV for spreadsheets.
 */
@Tag(name = "governance")
@Path("/api/v1/posture")
public final class PostureResource {
    static final String CSV = "text/csv";
    private static final int MAX_OWNER = 320;

    private final PostureReports reports;

    public PostureResource(PostureReports reports) {
        this.reports = reports;
    }

    @Operation(summary = "The fleet's posture report: findings with remedies, score, counts (JSON or CSV)",
            responses = @ApiResponse(responseCode = "200", description = "The report (application/json or text/csv)"))
    @GET
    @Timed
    @Produces({MediaType.APPLICATION_JSON, CSV})
    public Response posture(@QueryParam("owner") String owner, @QueryParam("severity") String severity,
                            @QueryParam("format") String format, @HeaderParam(HttpHeaders.ACCEPT) String accept) {
        if (owner != null && (owner.isBlank() || owner.length() > MAX_OWNER)) {
            throw RejectedException.badRequest("owner: must be 1-" + MAX_OWNER + " characters");
        }
        Severity minimum = severity == null ? null : Severity.of(severity).orElseThrow(() ->
                RejectedException.badRequest("severity: must be one of critical, high, medium, low"));
        boolean csv;
        if (format == null) {
            // Only a client that asks for CSV and not JSON gets it by its Accept header.
            csv = accept != null && accept.contains(CSV) && !accept.contains(MediaType.APPLICATION_JSON);
        } else if (format.equals("csv") || format.equals("json")) {
            csv = format.equals("csv");
        } else {
            throw RejectedException.badRequest("format: must be json or csv");
        }
        PostureReport report = reports.report(owner, minimum);
        if (csv) {
            return Response.ok(PostureCsv.render(report), CSV + "; charset=utf-8")
                    .header("Content-Disposition", "attachment; filename=\"posture.csv\"").build();
        }
        return Response.ok(report, MediaType.APPLICATION_JSON_TYPE).build();
    }
}
