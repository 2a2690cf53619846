package dev.rotakey.testing;

import java.util.List;

/** A Vault error answer: an HTTP status and the {@code errors} list Vault puts in the body. */
final class VaultError extends RuntimeException {
    static final String PERMISSION_DENIED = "1 error occurred:\n\t* permission denied\n\n";

    final int status;
    final List<String> errors;

    VaultError(int status, List<String> errors) {
        super(status + " " + errors, null, false, false);
        this.status = status;
        this.errors = errors;
    }

    static VaultError badRequest(String message) {
        return new VaultError(400, List.of(message));
    }

    static VaultError notFound() {
        return new VaultError(404, List.of());
    }

    static VaultError denied() {
        return new VaultError(403, List.of(PERMISSION_DENIED));
    }
}
