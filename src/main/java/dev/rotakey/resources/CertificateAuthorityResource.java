package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.ca.CertificateAuthorities;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;

/** {@code GET /api/v1/cas/{name}/chain}: a CA's public certificate chain as PEM, served without a token. */
@Path("/api/v1/cas/{name}")
public final class CertificateAuthorityResource {
    static final String PEM = "application/x-pem-file";

    private final CertificateAuthorities authorities;

    public CertificateAuthorityResource(CertificateAuthorities authorities) {
        this.authorities = authorities;
    }

    @GET
    @Path("chain")
    @Timed
    public Response chain(@PathParam("name") String name) {
        // Not @Produces: errors are JSON, and a client asking for JSON must still get the 404 or 503 in JSON.
        return Response.ok(authorities.chainPem(name), PEM).build();
    }
}
