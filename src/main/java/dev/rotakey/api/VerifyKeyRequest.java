package dev.rotakey.api;

/** Body of {@code POST /api/v1/api-keys/verify}. */
public record VerifyKeyRequest(String key) {
    @Override
    public String toString() {
        return "VerifyKeyRequest[key=redacted]";
    }
}
