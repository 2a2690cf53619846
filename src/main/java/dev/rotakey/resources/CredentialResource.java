package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.api.CredentialChangeView;
import dev.rotakey.api.CredentialView;
import dev.rotakey.batch.OperatorBatches;
import dev.rotakey.service.CredentialChanges;
import dev.rotakey.tasks.TaskViews;
import dev.rotakey.auth.Operator;
import dev.rotakey.service.CredentialQueries;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.service.CredentialService;
import dev.rotakey.service.NewCredential;
import io.dropwizard.jersey.params.IntParam;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/v1/credentials}: create (issuing version 1 at once, or importing an existing secret as version 1), list,
 * show, change and retire credentials, and list their rotations.
 */
@Path("/api/v1/credentials")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class CredentialResource {
    private final CredentialService credentials;
    private final CredentialQueries queries;
    private final OwnerScope scope;
    private final OperatorBatches batches;

    public CredentialResource(CredentialService credentials, CredentialQueries queries, OwnerScope scope,
                              OperatorBatches batches) {
        this.credentials = credentials;
        this.queries = queries;
        this.scope = scope;
        this.batches = batches;
    }

    /** Without the batches: create, list and show only (retiring answers 503). */
    public CredentialResource(CredentialService credentials, CredentialQueries queries, OwnerScope scope) {
        this(credentials, queries, scope, null);
    }

    @POST
    @Timed
    public Response create(NewCredential body, @Context HttpServletRequest request) {
        CredentialService.Created created = credentials.create(body, Operator.of(request).actor());
        String id = created.credential().id();
        return Response.created(URI.create("/api/v1/credentials/" + id)).entity(queries.credential(id)).build();
    }

    @GET
    @Timed
    public Map<String, Object> list(@QueryParam("agent") String agent, @QueryParam("after") String after,
                                    @QueryParam("limit") @DefaultValue("100") IntParam limit,
                                    @Context HttpServletRequest request) {
        int n = Pages.limit(limit.get());
        Operator operator = Operator.of(request);
        // An agent's certificate lists its own credentials only; another agent's are not found.
        String listed = scope.listedAgent(operator.bounds(), agent);
        List<CredentialView> page = queries.page(listed, after, n, operator.owner());
        return Pages.page("credentials", page, page.size() == n ? page.get(page.size() - 1).id() : null);
    }

    @GET
    @Path("{id}")
    @Timed
    public CredentialView get(@PathParam("id") String id, @Context HttpServletRequest request) {
        scope.credential(Operator.of(request).bounds(), id);
        return queries.credential(id);
    }

    /**
     * Changes the credential's schedule, grace, acknowledgement policy, scopes, targets or material policy; a change
     * that needs a new version says so and starts its rotation.
     */
    @PATCH
    @Path("{id}")
    @Timed
    public CredentialChangeView change(@PathParam("id") String id, JsonNode body, @Context HttpServletRequest request) {
        Operator operator = Operator.of(request);
        // Owner-scoped tokens change their own owner's credentials only; others are not found.
        scope.credential(operator.bounds(), id);
        CredentialChanges.Changed changed = credentials.changes().change(id, body, operator.actor());
        return CredentialChangeView.of(queries.credential(id), changed.changes(), changed.newMaterial().needed(),
                changed.newMaterial().reason(), changed.newMaterial().rotation(), changed.removalFailures());
    }

    /**
     * Retires the credential: from the answer on no version of it verifies; its removal from every target runs as a
     * batch, like a decommission's. Its history stays readable.
     */
    @DELETE
    @Path("{id}")
    @Timed
    public Response retire(@PathParam("id") String id, @Context HttpServletRequest request) {
        Operator operator = Operator.of(request);
        scope.credential(operator.bounds(), id);
        if (batches == null) {
            throw new WebApplicationException("retiring credentials is not available here", 503);
        }
        OperatorBatches.Retired retired = batches.retire(id, operator.actor());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("credential", id);
        answer.put("retired", true);
        answer.put("batch", TaskViews.batch(retired.batch()));
        return Response.accepted(answer).build();
    }

    @GET
    @Path("{id}/rotations")
    @Timed
    public Map<String, Object> rotations(@PathParam("id") String id, @QueryParam("limit") @DefaultValue("50") IntParam limit,
                                         @Context HttpServletRequest request) {
        scope.credential(Operator.of(request).bounds(), id);
        // Looked up before the limit is checked: an unknown credential is a 404 whatever the limit.
        credentials.get(id);
        return Map.of("rotations", queries.rotationsOf(id, Pages.limit(limit.get())));
    }
}
