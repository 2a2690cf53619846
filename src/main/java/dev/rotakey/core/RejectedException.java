package dev.rotakey.core;

/**
 * A request Rotakey refuses, with the reason it is refused: the one exception type that services
 * throw for bad input or a conflicting state, mapped to a 4xx answer at the HTTP edge.
 */
public class RejectedException extends RuntimeException {
    /** Why a request is refused; each maps to one HTTP status. */
    public enum Kind {
        /** Malformed request (400). */
        BAD_REQUEST,
        /** Something named does not exist (404). */
        NOT_FOUND,
        /** The current state does not allow it (409). */
        CONFLICT,
        /** Well-formed but invalid values (422). */
        INVALID
    }

    private final Kind kind;
    private final String field;

    public RejectedException(Kind kind, String field, String message) {
        super(message);
        this.kind = kind;
        this.field = field;
    }

    public static RejectedException notFound(String what, String id) {
        return new RejectedException(Kind.NOT_FOUND, null, what + " '" + id + "' does not exist");
    }

    public static RejectedException conflict(String message) {
        return new RejectedException(Kind.CONFLICT, null, message);
    }

    public static RejectedException invalid(String field, String message) {
        return new RejectedException(Kind.INVALID, field, field + ": " + message);
    }

    public static RejectedException badRequest(String message) {
        return new RejectedException(Kind.BAD_REQUEST, null, message);
    }

    public Kind kind() {
        return kind;
    }

    /** The offending field, when one field is to blame. */
    public String field() {
        return field;
    }
}
