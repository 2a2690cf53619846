package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.AgentView;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.Agent;
import dev.rotakey.service.AgentService;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.service.NewAgent;
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

/** {@code /api/v1/agents}: register, list and show agents. */
@Path("/api/v1/agents")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class AgentResource {
    private final AgentService agents;
    private final OwnerScope scope;

    public AgentResource(AgentService agents, OwnerScope scope) {
        this.agents = agents;
        this.scope = scope;
    }

    @POST
    @Timed
    public Response create(NewAgent body, @Context HttpServletRequest request) {
        Agent a = agents.create(body, Operator.of(request).actor());
        return Response.created(URI.create("/api/v1/agents/" + a.id())).entity(AgentView.of(a)).build();
    }

    @GET
    @Timed
    public Map<String, Object> list(@QueryParam("after") String after,
                                    @QueryParam("limit") @DefaultValue("100") IntParam limit,
                                    @Context HttpServletRequest request) {
        int n = Pages.limit(limit.get());
        List<AgentView> page = agents.list(after, n, Operator.of(request).owner()).stream().map(AgentView::of).toList();
        return Pages.page("agents", page, page.size() == n ? page.get(page.size() - 1).id() : null);
    }

    @GET
    @Path("{id}")
    @Timed
    public AgentView get(@PathParam("id") String id, @Context HttpServletRequest request) {
        scope.agent(Operator.of(request).bounds(), id);
        return AgentView.of(agents.get(id));
    }
}
