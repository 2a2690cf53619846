package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.BatchView;
import dev.rotakey.auth.AuthenticationFailures;
import dev.rotakey.auth.Operator;
import dev.rotakey.batch.BatchQueries;
import dev.rotakey.core.RejectedException;
import dev.rotakey.service.OwnerScope;
import io.dropwizard.jersey.params.IntParam;
import io.dropwizard.jersey.params.LongParam;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code /api/v1/batches}: what an operator's task started and how far it is, on any node: one batch with a page
 * of its items ({@code /{id}?after=&limit=}), or the latest batches ({@code ?before=&limit=}).
 */
@Tag(name = "batches")
@Path("/api/v1/batches")
@Produces(MediaType.APPLICATION_JSON)
public final class BatchResource {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final BatchQueries queries;
    private final OwnerScope scope;

    public BatchResource(BatchQueries queries, OwnerScope scope) {
        this.queries = queries;
        this.scope = scope;
    }

    @Operation(summary = "How far a task's batch is, with a page of its items")
    @GET
    @Path("{id}")
    @Timed
    public BatchView get(@PathParam("id") String id, @QueryParam("after") @DefaultValue("-1") IntParam after,
                         @QueryParam("limit") @DefaultValue("100") IntParam limit, @Context HttpServletRequest request) {
        authenticated(request);
        if (!ID.matcher(id).matches()) {
            // Batch ids are UUIDs: anything else names no batch, and is not echoed back.
            throw RejectedException.badRequest("a batch id is a UUID, as the task answered it");
        }
        if (after.get() < -1) {
            throw RejectedException.invalid("after", "must be an item number the previous page named");
        }
        scope.batch(Operator.of(request).bounds(), id);
        return queries.batch(id, after.get(), Pages.limit(limit.get()));
    }

    @Operation(summary = "The latest batches, newest first")
    @GET
    @Timed
    public Map<String, Object> list(@QueryParam("before") @DefaultValue("9223372036854775807") LongParam before,
                                    @QueryParam("limit") @DefaultValue("20") IntParam limit,
                                    @Context HttpServletRequest request) {
        authenticated(request);
        BatchQueries.Page page = queries.recent(before.get(), Pages.limit(limit.get()));
        return Pages.page("batches", page.batches(), page.next());
    }

    /** Behind the bearer filter already; refused here too should a request ever reach it without an operator. */
    private static void authenticated(HttpServletRequest request) {
        if (Operator.find(request).isEmpty()) {
            throw new WebApplicationException(Response.status(401).type(MediaType.APPLICATION_JSON_TYPE)
                    .header(AuthenticationFailures.CHALLENGE_HEADER, AuthenticationFailures.CHALLENGE)
                    .entity(AuthenticationFailures.unauthenticated(AuthenticationFailures.MISSING_TOKEN)).build());
        }
    }
}
