package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.service.OperatorQueries;
import io.dropwizard.jersey.params.IntParam;
import io.dropwizard.jersey.params.LongParam;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/audit}: the audit trail, newest first, optionally about one subject
 * ({@code credential:billing-agent-api}, {@code agent:billing-agent}) or one correlation id.
 */
@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public final class AuditResource {
    private final OperatorQueries queries;

    public AuditResource(OperatorQueries queries) {
        this.queries = queries;
    }

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
