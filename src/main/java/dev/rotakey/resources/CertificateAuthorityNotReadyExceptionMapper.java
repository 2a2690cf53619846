package dev.rotakey.resources;

import dev.rotakey.api.ErrorBody;
import dev.rotakey.ca.CertificateAuthorityNotReadyException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** A CA not created yet because its backend is offline: 503 with a JSON reason, so that relying parties retry. */
@Provider
public final class CertificateAuthorityNotReadyExceptionMapper implements ExceptionMapper<CertificateAuthorityNotReadyException> {
    @Override
    public Response toResponse(CertificateAuthorityNotReadyException e) {
        return Response.status(503).type(MediaType.APPLICATION_JSON_TYPE)
                .header("Retry-After", "30")
                .entity(new ErrorBody(503, e.getMessage(), null)).build();
    }
}
