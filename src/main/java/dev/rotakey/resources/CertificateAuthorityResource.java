package dev.rotakey.resources;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.CertificateAuthorityView;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.core.RejectedException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Optional;

/**
 * A CA's public material, served without a token: {@code GET /api/v1/cas/{name}} (JSON facts and
 * generations), {@code /chain} (PEM) and {@code /crl[?generation=N]} (DER).
 */
@Tag(name = "certificate authorities")
@Path("/api/v1/cas/{name}")
public final class CertificateAuthorityResource {
    static final String PEM = "application/x-pem-file";
    static final String CRL = "application/pkix-crl";

    private final CertificateAuthorities authorities;

    public CertificateAuthorityResource(CertificateAuthorities authorities) {
        this.authorities = authorities;
    }

    @Operation(summary = "A CA's generations, their state, CRL number and next update (no token)")
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Timed
    public CertificateAuthorityView get(@PathParam("name") String name) {
        return CertificateAuthorityView.of(authorities.snapshot(name));
    }

    @Operation(summary = "A CA's certificate chain, PEM (no token)",
            responses = @ApiResponse(responseCode = "200", description = "application/x-pem-file"))
    @GET
    @Path("chain")
    @Timed
    public Response chain(@PathParam("name") String name) {
        // Not @Produces: errors are JSON, and a client asking for JSON must still get the 404 or 503 in JSON.
        return Response.ok(authorities.chainPem(name), PEM).build();
    }

    @Operation(summary = "A CA generation's CRL, DER (no token)",
            responses = @ApiResponse(responseCode = "200", description = "application/pkix-crl"))
    @GET
    @Path("crl")
    @Timed
    public Response crl(@PathParam("name") String name, @QueryParam("generation") String generation) {
        return Response.ok(authorities.crlDer(name, parseGeneration(generation)), CRL).build();
    }

    private static Optional<Integer> parseGeneration(String generation) {
        if (generation == null || generation.isBlank()) {
            return Optional.empty();
        }
        try {
            int g = Integer.parseInt(generation.trim());
            if (g < 1) {
                throw new NumberFormatException();
            }
            return Optional.of(g);
        } catch (NumberFormatException e) {
            throw RejectedException.badRequest("generation must be a positive integer, not '" + generation + "'");
        }
    }
}
