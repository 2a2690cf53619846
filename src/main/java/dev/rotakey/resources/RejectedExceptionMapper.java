package dev.rotakey.resources;

import dev.rotakey.api.ErrorBody;
import dev.rotakey.core.RejectedException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Turns a refused request into its 4xx answer with a JSON body naming the problem. */
@Provider
public final class RejectedExceptionMapper implements ExceptionMapper<RejectedException> {
    @Override
    public Response toResponse(RejectedException e) {
        int status = status(e.kind());
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorBody(status, e.getMessage(), e.field())).build();
    }

    public static int status(RejectedException.Kind kind) {
        return switch (kind) {
            case BAD_REQUEST -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case INVALID -> 422;
        };
    }
}
