package dev.rotakey.vault;

import dev.rotakey.backend.KeyBackendAuthenticationException;

/** Vault answered 403 on a path: its policy refuses Rotakey's token there. Not retried. */
public class VaultPermissionDeniedException extends KeyBackendAuthenticationException {
    private final String path;

    public VaultPermissionDeniedException(String path, String message) {
        super(message);
        this.path = path;
    }

    /** The refused path, relative to {@code /v1/} ({@code transit/sign/rotakey-ca-1}). */
    public String path() {
        return path;
    }
}
