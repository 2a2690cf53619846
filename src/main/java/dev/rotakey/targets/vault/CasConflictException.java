package dev.rotakey.targets.vault;

import dev.rotakey.targets.TargetException;

/** KV refused a write because the path's current version was no longer the one the write expected. */
final class CasConflictException extends TargetException {
    CasConflictException(String message, Throwable cause) {
        super(message, true, cause);
    }
}
