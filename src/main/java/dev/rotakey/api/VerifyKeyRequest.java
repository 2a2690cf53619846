package dev.rotakey.api;

import java.util.List;

/**
 * Body of {@code POST /api/v1/api-keys/verify}: the presented key and, optionally, the scopes the relying service
 * requires of it (a key lacking one is refused with reason {@code scope}).
 */
public record VerifyKeyRequest(String key, List<String> requireScopes) {
    public VerifyKeyRequest(String key) {
        this(key, null);
    }

    @Override
    public String toString() {
        return "VerifyKeyRequest[key=redacted, requireScopes=" + requireScopes + "]";
    }
}
