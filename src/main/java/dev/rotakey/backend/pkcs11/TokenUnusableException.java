package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.BackendConnection;

/**
 * Why a PKCS#11 backend cannot use its token now, and so stays offline: the message goes into the
 * status and exceptions, so it names no secret; {@link #failure()} says which exception the
 * backend's operations throw meanwhile (a PIN problem is not retried).
 */
final class TokenUnusableException extends Exception {
    private final BackendConnection.Failure failure;

    TokenUnusableException(BackendConnection.Failure failure, String message, Throwable cause) {
        super(message, cause);
        this.failure = failure;
    }

    BackendConnection.Failure failure() {
        return failure;
    }
}
