package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.AgentView;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.Agent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.service.AgentChanges;
import dev.rotakey.service.AgentService;
import dev.rotakey.service.Attestations;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.service.NewAgent;
import io.dropwizard.jersey.params.IntParam;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
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

/** {@code /api/v1/agents}: register, list, show and change agents, and their owners' attestations. */
@Tag(name = "agents")
@Path("/api/v1/agents")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class AgentResource {
    private final AgentService agents;
    private final OwnerScope scope;
    private final Attestations attestations;
    private final AgentChanges changes;

    public AgentResource(AgentService agents, OwnerScope scope, Attestations attestations, AgentChanges changes) {
        this.agents = agents;
        this.scope = scope;
        this.attestations = attestations;
        this.changes = changes;
    }

    @Operation(summary = "Register an agent with its accountable owner",
            responses = @ApiResponse(responseCode = "201", description = "The agent",
                    content = @Content(schema = @Schema(implementation = AgentView.class))))
    @POST
    @Timed
    public Response create(NewAgent body, @Context HttpServletRequest request) {
        Agent a = agents.create(body, Operator.of(request).actor());
        return Response.created(URI.create("/api/v1/agents/" + a.id())).entity(AgentView.of(attestations.standing(a)))
                .build();
    }

    @Operation(summary = "List agents, a page at a time (an owner token: its own)")
    @GET
    @Timed
    public Map<String, Object> list(@QueryParam("after") String after,
                                    @QueryParam("limit") @DefaultValue("100") IntParam limit,
                                    @Context HttpServletRequest request) {
        int n = Pages.limit(limit.get());
        List<Agent> agentsPage = agents.list(after, n, Operator.of(request).owner());
        List<AgentView> page = attestations.standings(agentsPage).stream().map(AgentView::of).toList();
        return Pages.page("agents", page, page.size() == n ? page.get(page.size() - 1).id() : null);
    }

    @Operation(summary = "One agent, with its attestation standing")
    @GET
    @Path("{id}")
    @Timed
    public AgentView get(@PathParam("id") String id, @Context HttpServletRequest request) {
        scope.agent(Operator.of(request).bounds(), id);
        return AgentView.of(attestations.standing(id));
    }

    /** Changes the agent's description, attributes or attestation interval, or starts an ownership transfer. */
    @Operation(summary = "Change an agent's description, attributes or attestation interval, or start an ownership"
            + " transfer")
    @PATCH
    @Path("{id}")
    @Timed
    public AgentView change(@PathParam("id") String id, JsonNode body, @Context HttpServletRequest request) {
        return AgentView.of(attestations.standing(changes.change(id, body, Operator.of(request).actor())));
    }

    /**
     * The owner's re-certification of the agent: an operator's, an owner-scoped token's of its own agent, or the new
     * owner's, which completes a waiting transfer. The body is optional.
     */
    @POST
    @Path("{id}/attest")
    // It reads no body: a form post or a bare POST attests as well as a JSON one.
    @Operation(summary = "Re-certify an agent as its owner: lifts a suspension, completes a transfer")
    @Consumes(MediaType.WILDCARD)
    @Timed
    public AgentView attest(@PathParam("id") String id, @Context HttpServletRequest request) {
        return AgentView.of(attestations.attest(id, Operator.of(request)));
    }
}
