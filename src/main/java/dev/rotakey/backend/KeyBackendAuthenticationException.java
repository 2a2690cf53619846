package dev.rotakey.backend;

/**
 * The backend refused Rotakey's credentials (a wrong PIN, a denied token). Never retried in a
 * loop: HSM tokens lock after a few wrong PINs.
 */
public class KeyBackendAuthenticationException extends KeyBackendException {
    public KeyBackendAuthenticationException(String message) {
        super(message);
    }

    public KeyBackendAuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
