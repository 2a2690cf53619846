package dev.rotakey.backend;

/** The backend cannot be reached or is offline (token missing, device error): retry later. */
public class KeyBackendUnavailableException extends KeyBackendException {
    public KeyBackendUnavailableException(String message) {
        super(message);
    }

    public KeyBackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
