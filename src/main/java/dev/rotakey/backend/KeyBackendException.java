package dev.rotakey.backend;

/** A key backend operation failed. Subclasses say whether retrying may help. */
public class KeyBackendException extends RuntimeException {
    public KeyBackendException(String message) {
        super(message);
    }

    public KeyBackendException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether the workflow may retry the operation later. */
    public boolean retryable() {
        return false;
    }
}
