package dev.rotakey.targets;

/** A target operation failed; {@link #retryable()} tells the workflow whether to try again. */
public class TargetException extends RuntimeException {
    private final boolean retryable;

    public TargetException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public TargetException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
