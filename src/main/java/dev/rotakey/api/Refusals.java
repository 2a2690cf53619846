package dev.rotakey.api;

import dev.rotakey.core.RejectedException;

/**
 * How a refused request is answered, whether a resource refused it (through the exception mapper) or an admin
 * task did: the status for each kind of refusal and the {@link ErrorBody} naming the problem and the field.
 */
public final class Refusals {
    private Refusals() {
    }

    public static int status(RejectedException.Kind kind) {
        return switch (kind) {
            case BAD_REQUEST -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case INVALID -> 422;
        };
    }

    /** The body of the answer to {@code e}; its {@code code} is the status to answer with. */
    public static ErrorBody body(RejectedException e) {
        return new ErrorBody(status(e.kind()), e.getMessage(), e.field());
    }
}
