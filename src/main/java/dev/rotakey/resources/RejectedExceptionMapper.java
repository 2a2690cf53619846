package dev.rotakey.resources;

import dev.rotakey.api.ErrorBody;
import dev.rotakey.api.Refusals;
import dev.rotakey.core.RejectedException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Turns a refused request into its 4xx answer with a JSON body naming the problem ({@link Refusals}). */
@Provider
public final class RejectedExceptionMapper implements ExceptionMapper<RejectedException> {
    @Override
    public Response toResponse(RejectedException e) {
        ErrorBody body = Refusals.body(e);
        return Response.status(body.code()).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
    }
}
