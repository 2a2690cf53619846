package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.CreateCredentialRequest;
import dev.rotakey.api.CredentialView;
import dev.rotakey.ca.CertificateSummary;
import dev.rotakey.api.RotationView;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.db.Store;
import dev.rotakey.service.CredentialService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import io.dropwizard.jersey.params.IntParam;
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
    private final Store store;

    public CredentialResource(CredentialService credentials, Store store) {
        this.credentials = credentials;
        this.store = store;
    }

    @POST
    @Timed
    public Response create(CreateCredentialRequest body, @Context HttpServletRequest request) {
        CredentialService.Created created = credentials.create(body, Operator.of(request).actor());
        return Response.created(URI.create("/api/v1/credentials/" + created.credential().id()))
                .entity(view(credentials.get(created.credential().id()))).build();
    }

    @GET
    @Timed
    public Map<String, Object> list(@QueryParam("agent") String agent, @QueryParam("after") String after,
                                    @QueryParam("limit") @DefaultValue("100") IntParam limit) {
        int n = Pages.limit(limit.get());
        List<Credential> page = store.read(d -> d.credentials().list(agent, after, n));
        Map<String, List<CredentialVersion>> versions = store.read(d -> d.versions()
                .ofCredentials(page.stream().map(Credential::id).toList()));
        Map<String, Map<Integer, CertificateSummary>> certificates = credentials.certificates(page);
        List<CredentialView> views = page.stream()
                .map(c -> CredentialView.of(c, versions.getOrDefault(c.id(), List.of()),
                        certificates.getOrDefault(c.id(), Map.of()), null,
                        c.acknowledgements() == null ? null : store.read(d -> d.credentials().acknowledgementOverdue(c.id()))))
                .toList();
        return Pages.page("credentials", views, page.size() == n ? page.get(page.size() - 1).id() : null);
    }

    @GET
    @Path("{id}")
    @Timed
    public CredentialView get(@PathParam("id") String id) {
        return view(credentials.get(id));
    }

    @GET
    @Path("{id}/rotations")
    @Timed
    public Map<String, Object> rotations(@PathParam("id") String id, @QueryParam("limit") @DefaultValue("50") IntParam limit) {
        credentials.get(id);
        int n = Pages.limit(limit.get());
        return Map.of("rotations", store.read(d -> d.rotations().ofCredential(id, n)).stream()
                .map(r -> RotationView.of(r, null)).toList());
    }

    private CredentialView view(Credential c) {
        List<CredentialVersion> versions = store.read(d -> d.versions().ofCredential(c.id()));
        var logins = credentials.logins(c, versions);
        return store.read(d -> CredentialView.of(c, versions, credentials.certificates(c),
                d.rotations().ofCredential(c.id(), 1).stream().findFirst()
                        .map(r -> RotationView.of(r, null)).orElse(null),
                d.credentials().acknowledgementOverdue(c.id()), logins));
    }
}
