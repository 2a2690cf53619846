package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.audit.AuditChainVerifier;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.audit.AuditExport;
import dev.rotakey.audit.AuditVerification;
import dev.rotakey.service.OperatorQueries;
import io.dropwizard.jersey.params.IntParam;
import io.dropwizard.jersey.params.LongParam;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import dev.rotakey.api.ErrorBody;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.StreamingOutput;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/audit}: the audit trail, newest first, optionally about one subject
 * ({@code credential:billing-agent-api}, {@code agent:billing-agent}) or one correlation id; {@code /verify} checks
 * its chain and checkpoints, {@code /export} writes a range of it for an auditor to check offline.
 */
@Tag(name = "audit")
@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public final class AuditResource {
    private final OperatorQueries queries;
    private final AuditChainVerifier verifier;
    private final AuditExport export;

    public AuditResource(OperatorQueries queries, AuditChainVerifier verifier, AuditExport export) {
        this.queries = queries;
        this.verifier = verifier;
        this.export = export;
    }

    @Operation(summary = "Check the whole audit chain and its signed checkpoints")
    @GET
    @Path("/verify")
    @Timed
    public AuditVerification verify() {
        return verifier.verify();
    }

    /** JSON lines: the checkpoint keys, then each event's canonical line and each checkpoint after its event. */
    @Operation(summary = "Export a range of the audit chain as JSON lines to check offline",
            responses = @ApiResponse(responseCode = "200", description = "application/x-ndjson"))
    @GET
    @Path("/export")
    public Response export(@QueryParam("from") @DefaultValue("1") LongParam from,
                           @QueryParam("to") @DefaultValue("9223372036854775807") LongParam to) {
        // Checked here, not with @Min: a refusal is JSON, which a method producing JSON lines could not write.
        Long first = positive("from", from);
        Long last = positive("to", to);
        StreamingOutput lines = out -> {
            Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            export.write(first, last, writer);
        };
        return Response.ok(lines, "application/x-ndjson").build();
    }

    private static Long positive(String name, LongParam value) {
        if (value.get() < 1) {
            throw new WebApplicationException(Response.status(400).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(new ErrorBody(400, name + " must be an event number, 1 or more", null)).build());
        }
        return value.get();
    }

    @Operation(summary = "Audit events, newest first, by subject or correlation id")
    @GET
    @Timed
    public Map<String, Object> list(@QueryParam("subject") String subject,
                                    @QueryParam("correlationId") String correlationId,
                                    @QueryParam("before") @DefaultValue("9223372036854775807") LongParam before,
                                    @QueryParam("limit") @DefaultValue("100") IntParam limit) {
        int n = Pages.limit(limit.get());
        List<AuditEvent> events = queries.auditEvents(subject, correlationId, before.get(), n);
        return Pages.page("events", events, events.size() == n ? Long.toString(events.get(events.size() - 1).id()) : null);
    }
}
