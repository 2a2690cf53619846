package dev.rotakey.dashboard;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.core.RejectedException;
import io.dropwizard.views.common.View;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code /dashboard/}: the read-only fleet dashboard, server-rendered HTML with no script — the overview, a
 * credential's page ({@code /dashboard/credentials/{id}}, a 404 page for an unknown one) and the static assets
 * ({@code /dashboard/assets/{name}}). Who may see it is {@code AccessPolicy}'s; the filter takes the token as a
 * bearer header or, here only, as a Basic password.
 */
@Path("/dashboard")
public final class DashboardResource {
    private static final String HTML = MediaType.TEXT_HTML + ";charset=UTF-8";

    private final Overview overview;
    private final CredentialPages credentials;
    private final DashboardAssets assets;

    DashboardResource(Overview overview, CredentialPages credentials, DashboardAssets assets) {
        this.overview = overview;
        this.credentials = credentials;
        this.assets = assets;
    }

    @GET
    @Produces(HTML)
    @Timed
    public OverviewPage overview() {
        return overview.page();
    }

    @GET
    @Path("credentials/{id}")
    @Produces(HTML)
    @Timed
    public Response credential(@PathParam("id") String id) {
        try {
            return Response.ok(credentials.page(id)).build();
        } catch (RejectedException e) {
            if (e.kind() != RejectedException.Kind.NOT_FOUND) {
                throw e;
            }
            return notFound("There is no credential '" + id + "'.");
        }
    }

    @GET
    @Path("assets/{name}")
    public Response asset(@PathParam("name") String name) {
        return assets.get(name)
                .map(a -> Response.ok(a.bytes(), a.mediaType())
                        // Versioned URLs (?v=digest): a new release's files have new URLs, so these may be kept long.
                        .header("Cache-Control", "private, max-age=31536000, immutable").build())
                .orElseGet(() -> notFound("There is no dashboard file '" + name + "'."));
    }

    private Response notFound(String message) {
        View page = new NotFoundPage(assets.url("dashboard.css"), assets.url("favicon.svg"), message);
        return Response.status(404).type(HTML).entity(page).build();
    }
}
