package dev.rotakey.targets.files;

import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.files.BaseDirectory.Stored;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

import static dev.rotakey.targets.files.CertificateFiles.CERT;
import static dev.rotakey.targets.files.CertificateFiles.COMPANIONS;

/**
 * The backups a certificate directory keeps of the version a delivery replaced ({@code .cert.pem.rotakey-previous} and
 * its companions), so that a discard can put that version back. {@code .cert.pem.rotakey-previous} is written after the
 * other backups and removed after them, so that while it exists the others are a complete set.
 */
final class CertificateBackups {
    private final BaseDirectory tree;

    CertificateBackups(BaseDirectory tree) {
        this.tree = tree;
    }

    /** The backup of one of the directory's files. */
    static Path of(Path dir, String fileName) {
        return dir.resolve("." + fileName + BaseDirectory.BACKUP_SUFFIX);
    }

    /**
     * Keeps the files of the version in place as backups before a different certificate replaces
     * it. Skipped when an interrupted delivery already took them: the backed-up certificate is then
     * still the one in place, and the key beside it may already be the new one. The companions' backups are durable
     * before the certificate's is made; the certificate's is made last and is durable only once the caller syncs the
     * directory, which it must before it replaces any file.
     *
     * @return whether the certificate's backup was made and awaits the caller's directory sync
     */
    boolean take(Path dir, byte[] certificate, FileAccess access) throws IOException {
        Optional<Stored> current = tree.read(dir.resolve(CERT));
        if (current.isEmpty()) {
            // Backups from an earlier life of this directory would otherwise be "restored" by a
            // discard, although before this rotation there was no certificate at all.
            delete(dir);
            return false;
        }
        try (Stored cert = current.get()) {
            if (MessageDigest.isEqual(cert.content(), certificate) || areOf(dir, cert.content())) {
                return false;
            }
            boolean changed = false;
            for (String companion : COMPANIONS) {
                Optional<Stored> file = tree.read(dir.resolve(companion));
                if (file.isPresent()) {
                    try (Stored content = file.get()) {
                        BaseDirectory.keepAs(dir, dir.resolve(companion), content, of(dir, companion), access);
                    }
                    changed = true;
                } else {
                    changed |= Files.deleteIfExists(of(dir, companion));
                }
            }
            if (changed) {
                BaseDirectory.fsyncDirectory(dir);
            }
            BaseDirectory.keepAs(dir, dir.resolve(CERT), cert, of(dir, CERT), access);
            return true;
        }
    }

    /** Whether the backups are a complete set taken of the certificate in place. */
    boolean areOf(Path dir, byte[] certificate) throws IOException {
        return tree.read(of(dir, CERT)).map(backedUp -> {
            try (backedUp) {
                return MessageDigest.isEqual(backedUp.content(), certificate);
            }
        }).orElse(false);
    }

    /** Whether the backups are of the revoked or discarded version. */
    boolean holdVersion(Path dir, Revocation revocation) throws IOException {
        return tree.holds(of(dir, CERT), revocation);
    }

    /** Whether the backups are of a version other than the discarded one, which a discard then puts back. */
    boolean holdAnother(Path dir, Revocation discarded) throws IOException {
        return tree.holdsAnother(of(dir, CERT), discarded);
    }

    /** Removes the backups, the certificate's last so that it keeps marking a complete set. */
    void delete(Path dir) throws IOException {
        for (String companion : COMPANIONS) {
            Files.deleteIfExists(of(dir, companion));
        }
        Files.deleteIfExists(of(dir, CERT));
        BaseDirectory.fsyncDirectory(dir);
    }
}
