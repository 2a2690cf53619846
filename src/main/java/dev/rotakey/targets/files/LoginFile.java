package dev.rotakey.targets.files;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Login;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The optional file ({@code loginPath}) beside a delivered password that names the user it logs in with, as another
 * binding of the credential decided it (the login role of an alternating {@code postgres-role} binding). It is written
 * before the secret, so that a consumer that reloads when the secret file changes finds the matching user name, and
 * it is kept, put back and removed together with the secret.
 */
final class LoginFile {
    private final LocalFilesTarget files;
    private final BaseDirectory tree;

    LoginFile(LocalFilesTarget files) {
        this.files = files;
        this.tree = files.tree();
    }

    /**
     * The file's content: the user name and a newline; with several bindings deciding one, a line per binding
     * ({@code <target> <login>}).
     */
    static byte[] content(List<Login> logins) {
        String text = logins.size() == 1 ? logins.get(0).login() + "\n"
                : logins.stream().map(l -> l.target() + " " + l.login() + "\n").collect(Collectors.joining());
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes the login before the secret, keeping the previous content beside it for a discard. */
    void deliver(Delivery delivery) throws IOException {
        Optional<Location> location = Location.login(delivery.binding());
        if (location.isEmpty()) {
            return;
        }
        byte[] content = expected(delivery);
        FileAccess access = FileAccess.of(delivery.binding());
        Path dir = tree.directory(location.get().parents(), true, access, false).orElseThrow();
        Path file = dir.resolve(location.get().fileName());
        Path backup = dir.resolve(location.get().backupName());
        Optional<BaseDirectory.Stored> existing = tree.read(file);
        if (existing.isPresent()) {
            try (BaseDirectory.Stored current = existing.get()) {
                if (MessageDigest.isEqual(current.content(), content) && access.holds(current)) {
                    return;
                }
                if (!MessageDigest.isEqual(current.content(), content)) {
                    BaseDirectory.writeAtomically(dir, backup, current.content(), access);
                }
            }
        } else if (Files.deleteIfExists(backup)) {
            BaseDirectory.fsyncDirectory(dir);
        }
        tree.removeLeftoverTemporaries(dir);
        BaseDirectory.writeAtomically(dir, file, content, access);
    }

    /** Checks that the login file names the version's user. */
    void verify(Delivery delivery) throws IOException {
        Optional<Location> location = Location.login(delivery.binding());
        if (location.isEmpty()) {
            return;
        }
        Path file = tree.path().resolve(location.get().relative());
        Optional<Path> dir = tree.directory(location.get().parents(), false);
        Optional<BaseDirectory.Stored> stored = dir.isEmpty() ? Optional.empty()
                : tree.read(dir.get().resolve(location.get().fileName()));
        if (stored.isEmpty()) {
            throw new TargetException("target '" + files.targetName() + "': " + file + " is missing", true);
        }
        try (BaseDirectory.Stored s = stored.get()) {
            if (!MessageDigest.isEqual(s.content(), expected(delivery))) {
                throw new TargetException("target '" + files.targetName() + "': " + file + " does not name the login of version "
                        + delivery.version() + " of " + delivery.credentialId(), true);
            }
            FileAccess access = FileAccess.of(delivery.binding());
            if (!access.holds(s)) {
                throw new TargetException("target '" + files.targetName() + "': " + file + " has " + FileAccess.describe(s)
                        + ", expected " + access, true);
            }
        }
    }

    /**
     * Follows a discard of the secret: puts the previous login back when the previous secret is restored (first, for
     * the same reason as at delivery), removes it when the secret is removed.
     */
    void discard(TargetBinding binding, boolean secretRestored) throws IOException {
        Optional<Location> location = Location.login(binding);
        Optional<Path> dir = location.isEmpty() ? Optional.empty() : tree.directory(location.get().parents(), false);
        if (dir.isEmpty()) {
            return;
        }
        Path file = dir.get().resolve(location.get().fileName());
        Path backup = dir.get().resolve(location.get().backupName());
        if (secretRestored) {
            if (tree.read(backup).map(b -> {
                b.close();
                return true;
            }).orElse(false)) {
                Files.move(backup, file, StandardCopyOption.ATOMIC_MOVE);
            }
        } else {
            Files.deleteIfExists(file);
            Files.deleteIfExists(backup);
        }
        BaseDirectory.fsyncDirectory(dir.get());
    }

    /** Follows a revocation that removed the secret file: the login beside it goes too. */
    void revoked(TargetBinding binding) throws IOException {
        discard(binding, false);
    }

    private byte[] expected(Delivery delivery) {
        if (delivery.logins().isEmpty()) {
            throw new TargetException("target '" + files.targetName() + "': the binding has '" + Location.LOGIN_PATH
                    + "' but no binding of " + delivery.credentialId() + " decides a login (such as an alternating "
                    + "postgres-role binding)", false);
        }
        return content(delivery.logins());
    }
}
