package dev.rotakey.alert;

/**
 * A notification that a sink could not deliver. {@link #retryable()} says whether trying again may
 * help (a refused connection, a timeout, a 5xx, 408 or 429) or not (a 4xx that will not change by itself).
 * Its message names the sink and the status, never a secret.
 */
public class AlertDeliveryException extends Exception {
    private final boolean retryable;

    public AlertDeliveryException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public AlertDeliveryException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
