package dev.rotakey;

/** Start-up cannot go on; the message says why and names the config key or file to fix. */
public class StartupException extends RuntimeException {
    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
