package dev.rotakey.outbound;

/**
 * A POST by {@link JsonPostClient} that did not get a 2xx answer. Its message is the predicate of a
 * sentence whose subject the caller supplies ({@code " answered HTTP 503"}, {@code " timed out after PT10S"});
 * {@link #retryable()} says whether trying again may help. Callers turn it into their own exception type.
 */
public final class PostFailedException extends Exception {
    private final boolean retryable;

    PostFailedException(String detail, boolean retryable) {
        super(detail, null, false, false); // no cause and no stack: the message is all callers pass on
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
