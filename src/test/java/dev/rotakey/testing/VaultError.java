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

    /** A policy refusal: Vault's core wraps it in a multierror, hence the odd layout. */
    static VaultError denied() {
        return new VaultError(403, List.of(PERMISSION_DENIED));
    }

    /** A missing, unknown, expired or revoked token: refused before routing, so not wrapped. */
    static VaultError badToken() {
        return new VaultError(403, List.of("permission denied"));
    }

    /** No mount claims the path. */
    static VaultError noHandler(String path) {
        return new VaultError(404, List.of("no handler for route \"" + path + "\". route entry not found."));
    }

    /** A mount exists but none of its paths matches. */
    static VaultError unsupportedPath() {
        return new VaultError(404, List.of("1 error occurred:\n\t* unsupported path\n\n"));
    }

    /** The path exists but not for this verb. */
    static VaultError unsupportedOperation() {
        return new VaultError(405, List.of("1 error occurred:\n\t* unsupported operation\n\n"));
    }
}
