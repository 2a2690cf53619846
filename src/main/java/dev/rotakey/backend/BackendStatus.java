package dev.rotakey.backend;

/** A key backend's availability: {@code healthy}, and a human-readable reason when it is not. */
public record BackendStatus(boolean healthy, String message) {
    public static BackendStatus up(String message) {
        return new BackendStatus(true, message);
    }

    public static BackendStatus down(String message) {
        return new BackendStatus(false, message);
    }
}
