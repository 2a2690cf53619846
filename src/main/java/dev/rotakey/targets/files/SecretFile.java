package dev.rotakey.targets.files;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.files.BaseDirectory.Stored;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;

/**
 * The API-key and password side of {@link LocalFilesTarget}: one file at the binding's {@code path} holding the secret
 * in the binding's {@link SecretFormat}, with the binding's {@link FileAccess}, written atomically with the previous
 * content kept beside it ({@code .<name>.rotakey-previous}) until the rotation settles, so that a discard can put it
 * back; its {@link LoginFile} goes with it.
 */
final class SecretFile {
    private final LocalFilesTarget files;
    private final BaseDirectory tree;
    private final FreshWrites fresh;
    private final LoginFile logins;
    private final String name;

    SecretFile(LocalFilesTarget files, LoginFile logins) {
        this.files = files;
        this.tree = files.tree();
        this.fresh = files.fresh();
        this.logins = logins;
        this.name = files.targetName();
    }

    void deliver(Delivery delivery) {
        Location location = files.locate(delivery.binding());
        FileAccess access = files.access(delivery.binding());
        byte[] material = render(delivery);
        Path file = tree.path().resolve(location.relative());
        try {
            Path dir = tree.directory(location.parents(), true, access, false).orElseThrow();
            file = dir.resolve(location.fileName());
            Path backup = dir.resolve(location.backupName());
            Optional<Stored> existing = tree.read(file);
            boolean backupChanged = false;
            if (existing.isPresent()) {
                try (Stored current = existing.get()) {
                    boolean same = MessageDigest.isEqual(current.content(), material);
                    if (same && access.holds(current)) {
                        logins.deliver(delivery);
                        return;
                    }
                    if (!same) {
                        BaseDirectory.keepAs(dir, file, current, backup, access);
                        backupChanged = true;
                    }
                }
            } else {
                // A backup from an earlier life of this file would otherwise be "restored" by a
                // discard, although before this rotation there was no file at all.
                backupChanged = Files.deleteIfExists(backup);
            }
            tree.removeLeftoverTemporaries(dir);
            Path written = BaseDirectory.writeTemporary(dir, file, material, access);
            fresh.wrote(file, written, material);
            if (backupChanged) {
                try {
                    // The backup is durable before the file it keeps is replaced: a discard can always put it back.
                    BaseDirectory.fsyncDirectory(dir);
                } catch (IOException e) {
                    Files.deleteIfExists(written);
                    throw e;
                }
            }
            try {
                // Before the secret: a consumer reloading on the secret's change then reads the matching login.
                logins.deliver(delivery);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(written);
                throw e;
            }
            BaseDirectory.rename(written, file);
            fresh.renamed(file);
            BaseDirectory.fsyncDirectory(dir);
        } catch (IOException e) {
            throw tree.ioFailure("deliver version " + delivery.version() + " to", file, e);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    void verify(Delivery delivery) {
        Location location = files.locate(delivery.binding());
        FileAccess access = files.access(delivery.binding());
        byte[] material = render(delivery);
        Path file = tree.path().resolve(location.relative());
        try {
            Optional<Path> dir = tree.directory(location.parents(), false);
            Optional<Stored> stored = Optional.empty();
            if (dir.isPresent()) {
                file = dir.get().resolve(location.fileName());
                if (fresh.untouched(file, material)) {
                    // Written by this process moments ago and not touched since: reading it back proves nothing more.
                    logins.verify(delivery);
                    return;
                }
                stored = tree.read(file);
            }
            if (stored.isEmpty()) {
                throw DeliveredFile.missing(name, file, delivery);
            }
            try (Stored current = stored.get()) {
                DeliveredFile.check(name, file, current, material, delivery, access);
            }
            logins.verify(delivery);
        } catch (IOException e) {
            throw tree.ioFailure("read", file, e);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    void revoke(Revocation revocation) {
        SecretFormat format = formatOf(revocation.binding());
        files.remove("revoke", revocation, this::existingParent, (dir, location, at) -> {
            Path file = dir.resolve(location.fileName());
            at.accept(file);
            boolean changed = deleteIfHolds(file, revocation, format);
            if (changed) {
                logins.revoked(revocation.binding());
            }
            file = dir.resolve(location.backupName());
            at.accept(file);
            changed |= deleteIfHolds(file, revocation, format);
            if (changed) {
                BaseDirectory.fsyncDirectory(dir);
            }
        });
    }

    void discard(Revocation revocation) {
        SecretFormat format = formatOf(revocation.binding());
        files.remove("discard", revocation, this::existingParent, (dir, location, at) -> {
            Path file = dir.resolve(location.fileName());
            at.accept(file);
            if (!holds(file, revocation, format, true)) {
                return;
            }
            Path backup = dir.resolve(location.backupName());
            boolean restorable = holds(backup, revocation, format, false);
            logins.discard(revocation.binding(), restorable);
            if (restorable) {
                // The backup was written atomically with the binding's access and fsynced: renaming it over
                // the file restores the previous version and removes the backup in one step.
                Files.move(backup, file, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.delete(file);
                Files.deleteIfExists(backup);
            }
            BaseDirectory.fsyncDirectory(dir);
        });
    }

    /** The file's content for a delivery: the secret in the binding's format (the caller clears it). */
    private byte[] render(Delivery delivery) {
        byte[] secret = delivery.material().utf8();
        try {
            return formatOf(delivery.binding()).render(delivery.credentialType(), delivery.credentialId(),
                    delivery.version(), secret, delivery.logins(), delivery.binding());
        } catch (IllegalArgumentException e) {
            throw new TargetException("target '" + name + "': cannot write " + delivery + ": " + e.getMessage(), false);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private Optional<Path> existingParent(Location location) throws IOException {
        return tree.directory(location.parents(), false);
    }

    private boolean deleteIfHolds(Path file, Revocation revocation, SecretFormat format) throws IOException {
        return holds(file, revocation, format, true) && Files.deleteIfExists(file);
    }

    /**
     * Whether {@code file} exists and holds the revoked version's secret in the binding's format ({@code same}), or
     * another secret ({@code !same}). A file in which the format finds no secret at all holds neither.
     */
    private boolean holds(Path file, Revocation revocation, SecretFormat format, boolean same) throws IOException {
        Optional<Stored> stored = tree.read(file);
        if (stored.isEmpty()) {
            return false;
        }
        try (Stored s = stored.get()) {
            byte[] secret = format.secretOf(revocation.credentialType(), s.content(), revocation.binding());
            if (secret == null) {
                return false;
            }
            try {
                return revocation.matcher().matches(secret) == same;
            } finally {
                Arrays.fill(secret, (byte) 0);
            }
        }
    }

    private SecretFormat formatOf(TargetBinding binding) {
        return files.parsed(binding, SecretFormat::of);
    }
}
