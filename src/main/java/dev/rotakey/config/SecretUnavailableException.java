package dev.rotakey.config;

/** A configured secret could not be read; the message names the config key, never the value. */
public class SecretUnavailableException extends RuntimeException {
    public SecretUnavailableException(String message) {
        super(message);
    }
}
