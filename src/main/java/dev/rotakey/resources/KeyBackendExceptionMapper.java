package dev.rotakey.resources;

import dev.rotakey.api.ErrorBody;
import dev.rotakey.backend.KeyBackendException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** A key backend that cannot serve a request now: 503, saying so, so that callers retry later. */
@Provider
public final class KeyBackendExceptionMapper implements ExceptionMapper<KeyBackendException> {
    @Override
    public Response toResponse(KeyBackendException e) {
        return Response.status(503).type(MediaType.APPLICATION_JSON_TYPE)
                .header("Retry-After", "30")
                .entity(new ErrorBody(503, "key backend unavailable: " + e.getMessage(), null)).build();
    }
}
