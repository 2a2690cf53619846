package dev.rotakey.targets.files;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.files.BaseDirectory.Stored;

import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * What a verification finds wrong with one delivered file (missing, other content, another mode, owner or group than its binding asks for); each is
 * retryable, since it may be a delivery still in progress.
 */
final class DeliveredFile {
    private DeliveredFile() {
    }

    static TargetException missing(String target, Path file, Delivery delivery) {
        return new TargetException("target '" + target + "': " + file + " is missing; version "
                + delivery.version() + " of " + delivery.credentialId() + " is not delivered", true);
    }

    /** Throws unless the file holds {@code expected} with the access its binding asks for. */
    static void check(String target, Path file, Stored current, byte[] expected, Delivery delivery, FileAccess access) {
        if (!MessageDigest.isEqual(current.content(), expected)) {
            throw new TargetException("target '" + target + "': " + file + " does not hold version "
                    + delivery.version() + " of " + delivery.credentialId(), true);
        }
        if (!access.holds(current)) {
            throw new TargetException("target '" + target + "': " + file + " has " + FileAccess.describe(current)
                    + ", expected " + access, true);
        }
    }
}
