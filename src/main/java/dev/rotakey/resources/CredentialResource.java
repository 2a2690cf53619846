package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.CredentialView;
import dev.rotakey.auth.Operator;
import dev.rotakey.service.CredentialQueries;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.service.CredentialService;
import dev.rotakey.service.NewCredential;
import io.dropwizard.jersey.params.IntParam;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.util.List;
import java.util.Map;

/** {@code /api/v1/credentials}: create (issuing version 1 at once), list and show credentials and their rotations. */
@Path("/api/v1/credentials")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class CredentialResource {
    private final CredentialService credentials;
    private final CredentialQueries queries;
    private final OwnerScope scope;

    public CredentialResource(CredentialService credentials, CredentialQueries queries, OwnerScope scope) {
        this.credentials = credentials;
        this.queries = queries;
        this.scope = scope;
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
