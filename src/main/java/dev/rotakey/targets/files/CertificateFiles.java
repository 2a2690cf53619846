package dev.rotakey.targets.files;

import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.files.BaseDirectory.Stored;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The certificate side of {@link LocalFilesTarget}: a certificate version goes to the directory its
 * binding's {@code path} names, as {@code cert.pem} (the leaf), {@code chain.pem} (issuing CA first,
 * up to the root) and either {@code key.pem} (PKCS#8, {@code export} custody) or {@code key.uri}
 * (one line, the RFC 7512 URI of a key kept in the key backend).
 *
 * <p>Every file is mode 0600, the public ones too: the base directory is 0700, so consumers run as
 * Rotakey's user anyway, and one mode for everything keeps the checks and the backups uniform.
 *
 * <p>{@code cert.pem} is the commit point. It is written last on delivery (after the key and the
 * chain, and after the stale one of {@code key.pem}/{@code key.uri} is removed), so that a consumer
 * that reloads when {@code cert.pem} changes always finds the matching key and chain already in
 * place; consumers should watch {@code cert.pem}, not the key. It is also the last file restored by
 * a discard and the last removed by a revocation, so that a repeated call after a crash still
 * recognises, by {@code cert.pem}, which version the directory holds. Likewise its backup is written
 * after the other backups and removed after them: while {@code .cert.pem.rotakey-previous} exists
 * the other backups are a complete set, and a missing {@code .key.pem.rotakey-previous} then means
 * that the previous version had no {@code key.pem}.
 *
 * <p>This class keeps that order through delivery, revocation and discard; {@link CertificateBackups} keeps the
 * previous version's files and {@link CertificateFilesCheck} verifies what the directory holds.
 */
final class CertificateFiles {
    /** The credential type of certificate deliveries and revocations. */
    static final String TYPE = "certificate";
    static final String CERT = "cert.pem";
    static final String CHAIN = "chain.pem";
    static final String KEY = "key.pem";
    static final String KEY_URI = "key.uri";
    /** The files that hold the key (or its URI) in one format or another ({@link CertificateFormat}). */
    static final List<String> KEY_FILES = List.of(KEY, KEY_URI, CertificateFormat.KEYSTORE_PASSWORD,
            CertificateFormat.KEYSTORE, CertificateFormat.COMBINED_PEM);
    /** The files besides {@code cert.pem}, in the order a delivery writes them. */
    static final List<String> COMPANIONS = List.of(KEY, KEY_URI, CertificateFormat.KEYSTORE_PASSWORD,
            CertificateFormat.KEYSTORE, CertificateFormat.COMBINED_PEM, CHAIN);

    private final LocalFilesTarget files;
    private final BaseDirectory tree;
    private final String name;
    private final CertificateBackups backups;
    private final CertificateFilesCheck check;
    private final Pkcs12Files pkcs12;
    private final FreshWrites fresh;

    CertificateFiles(LocalFilesTarget files) {
        this.files = files;
        this.tree = files.tree();
        this.name = files.targetName();
        this.backups = new CertificateBackups(tree);
        this.pkcs12 = new Pkcs12Files(name);
        this.check = new CertificateFilesCheck(tree, name, pkcs12);
        this.fresh = files.fresh();
    }

    void deliver(Delivery delivery) {
        Location location = files.locate(delivery.binding());
        FileAccess access = files.access(delivery.binding());
        CertificateFormat format = files.certificateFormat(delivery.binding());
        CertificateMaterial material = delivery.certificate();
        List<String> keyFiles = format.keyFiles(material, delivery.binding());
        byte[] certificate = material.certificatePem().getBytes(StandardCharsets.UTF_8);
        byte[] chain = material.chainPem().getBytes(StandardCharsets.UTF_8);
        Path where = tree.path().resolve(location.relative());
        List<Optional<Path>> written = new ArrayList<>();
        try {
            Path dir = directory(location, true, access).orElseThrow();
            where = dir;
            tree.removeLeftoverTemporaries(dir);
            boolean backupAwaitsSync = backups.take(dir, certificate, access);
            // Every new file's data is durable before any is renamed in; the renames then need only directory syncs.
            try {
                Map<String, byte[]> contents = keyContents(dir, format, material, keyFiles, access);
                try {
                    for (String keyFile : keyFiles) {
                        byte[] content = contents.get(keyFile);
                        written.add(content == null ? Optional.empty() : writeIfChanged(dir, keyFile, content, access));
                    }
                } finally {
                    contents.values().forEach(c -> Arrays.fill(c, (byte) 0));
                }
                written.add(writeIfChanged(dir, CHAIN, chain, access));
                Optional<Path> newCert = writeIfChanged(dir, CERT, certificate, access);
                written.add(newCert);
                if (backupAwaitsSync) {
                    BaseDirectory.fsyncDirectory(dir);
                }
                boolean renamed = false;
                for (int i = 0; i < keyFiles.size(); i++) {
                    renamed |= renameInto(written.get(i), dir, keyFiles.get(i));
                    written.set(i, Optional.empty());
                }
                renamed |= renameInto(written.get(keyFiles.size()), dir, CHAIN);
                written.set(keyFiles.size(), Optional.empty());
                // Before cert.pem appears, so that a consumer reloading on it never sees another format's key beside it.
                for (String stale : KEY_FILES) {
                    if (!keyFiles.contains(stale)) {
                        renamed |= Files.deleteIfExists(dir.resolve(stale));
                    }
                }
                if (renamed) {
                    BaseDirectory.fsyncDirectory(dir);
                }
                boolean committed = renameInto(newCert, dir, CERT);
                written.clear();
                if (committed) {
                    BaseDirectory.fsyncDirectory(dir);
                }
            } finally {
                // A temporary not renamed in (a failure half-way) may hold the private key: it goes at once.
                for (Optional<Path> left : written) {
                    if (left.isPresent()) {
                        Files.deleteIfExists(left.get());
                    }
                }
            }
        } catch (IOException e) {
            throw tree.ioFailure("deliver version " + delivery.version() + " to", where, e);
        }
    }

    /**
     * The content of each key file of the format, in writing order (the caller clears them). A keystore that already
     * opens with its password and holds this version is kept as it is (it is not byte-for-byte reproducible).
     */
    private Map<String, byte[]> keyContents(Path dir, CertificateFormat format, CertificateMaterial material,
                                            List<String> keyFiles, FileAccess access) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        switch (format) {
            case PEM -> out.put(keyFiles.get(0), keyContent(name, material));
            case COMBINED -> out.put(CertificateFormat.COMBINED_PEM, CertificateFormat.combined(material));
            case PKCS12 -> {
                boolean withPassword = keyFiles.contains(CertificateFormat.KEYSTORE_PASSWORD);
                if (keystoreHolds(dir, material, withPassword, access)) {
                    return out;
                }
                char[] password = withPassword ? Pkcs12Files.newPassword() : new char[0];
                try {
                    if (withPassword) {
                        out.put(CertificateFormat.KEYSTORE_PASSWORD, (new String(password) + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                    out.put(CertificateFormat.KEYSTORE, pkcs12.write(material, password));
                } finally {
                    Arrays.fill(password, '\0');
                }
            }
        }
        return out;
    }

    /** Whether the keystore in place opens with the password beside it and holds this version, with this access. */
    private boolean keystoreHolds(Path dir, CertificateMaterial material, boolean withPassword, FileAccess access)
            throws IOException {
        try {
            check.keystore(dir, material, withPassword, access);
            return true;
        } catch (TargetException notThisVersion) {
            return false;
        }
    }

    void verify(Delivery delivery) {
        Location location = files.locate(delivery.binding());
        Path where = tree.path().resolve(location.relative());
        try {
            Optional<Path> found = directory(location, false, FileAccess.PRIVATE);
            if (found.isEmpty()) {
                throw DeliveredFile.missing(name, where, delivery);
            }
            where = found.get();
            FileAccess access = files.access(delivery.binding());
            CertificateFormat format = files.certificateFormat(delivery.binding());
            check.verify(found.get(), delivery, format, access, untouched(found.get(), delivery, format));
        } catch (IOException e) {
            throw tree.ioFailure("read", where, e);
        }
    }

    void revoke(Revocation revocation) {
        files.remove("revoke", revocation, this::existingDirectory, (dir, location, at) -> {
            at.accept(dir);
            if (tree.holds(dir.resolve(CERT), revocation)) {
                removeAll(dir);
            } else if (backups.holdVersion(dir, revocation)) {
                // A newer version is in place: only its backups, which hold the revoked version, go.
                backups.delete(dir);
            }
        });
    }

    void discard(Revocation revocation) {
        files.remove("discard", revocation, this::existingDirectory, (dir, location, at) -> {
            at.accept(dir);
            Optional<Stored> current = tree.read(dir.resolve(CERT));
            if (current.isEmpty()) {
                // No certificate was ever committed here (or it was revoked): a key or chain is what an
                // interrupted first delivery left, and before it there was nothing.
                removeAll(dir);
                return;
            }
            try (Stored cert = current.get()) {
                if (!revocation.matcher().matches(cert.content())) {
                    // Another version is in place; it is left alone, bar what a delivery cut short left beside it.
                    rollBackInterruptedDelivery(dir, cert.content(), files.access(revocation.binding()));
                    return;
                }
            }
            if (!backups.holdAnother(dir, revocation)) {
                removeAll(dir);
                return;
            }
            restoreCompanions(dir, files.access(revocation.binding()));
            // The backup was written atomically with mode 0600 and fsynced: renaming it over cert.pem
            // commits the previous version and removes the backup in one step.
            Files.move(CertificateBackups.of(dir, CERT), dir.resolve(CERT), StandardCopyOption.ATOMIC_MOVE);
            BaseDirectory.fsyncDirectory(dir);
            for (String companion : COMPANIONS) {
                Files.deleteIfExists(CertificateBackups.of(dir, companion));
            }
            BaseDirectory.fsyncDirectory(dir);
        });
    }

    /** The key file's content; the caller clears it. */
    static byte[] keyContent(String target, CertificateMaterial material) {
        if (material.privateKeyPem() != null) {
            return material.privateKeyPem().utf8();
        }
        String uri = material.privateKeyUri();
        if (uri.isBlank() || uri.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new TargetException("target '" + target + "': the key URI must be one line without control characters", false);
        }
        return (uri + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private Optional<Path> existingDirectory(Location location) throws IOException {
        return directory(location, false, FileAccess.PRIVATE);
    }

    /**
     * The certificate directory's real path, created when {@code create}; refuses a path that names a
     * file (an API key delivered there earlier, or a binding meant for one).
     */
    private Optional<Path> directory(Location location, boolean create, FileAccess access) throws IOException {
        Optional<Path> parent = tree.directory(location.parents(), create, access, false);
        if (parent.isEmpty()) {
            return parent;
        }
        Path dir = parent.get().resolve(location.fileName());
        try {
            BasicFileAttributes attributes = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attributes.isRegularFile()) {
                throw new TargetException("target '" + name + "': " + dir + " is a file, not a directory (an API key's "
                        + "file?); a certificate's path names the directory its cert.pem, chain.pem and key go to", false);
            }
        } catch (NoSuchFileException e) {
            if (!create) {
                return Optional.empty();
            }
        }
        return tree.directory(location.segments(), create, access, true);
    }

    /**
     * A delivery that took backups and then stopped before writing {@code cert.pem} may have left a
     * new key or chain beside the certificate in place; the backups are exactly that certificate's
     * companions, so they go back.
     */
    private void rollBackInterruptedDelivery(Path dir, byte[] certificate, FileAccess access) throws IOException {
        if (backups.areOf(dir, certificate)) {
            restoreCompanions(dir, access);
            backups.delete(dir);
        }
    }

    /** Puts back the companions of the backed-up version; one without a backup did not exist then. */
    private void restoreCompanions(Path dir, FileAccess access) throws IOException {
        for (String companion : COMPANIONS) {
            Optional<Stored> previous = tree.read(CertificateBackups.of(dir, companion));
            if (previous.isPresent()) {
                try (Stored content = previous.get()) {
                    // Copied, not moved: the backup must survive a crash until cert.pem is back.
                    replaceIfChanged(dir, companion, content.content(), access);
                }
            } else {
                delete(dir, companion);
            }
        }
    }

    /** Removes every file of the directory, cert.pem last (see the class comment). */
    private void removeAll(Path dir) throws IOException {
        BaseDirectory.removeAllTemporaries(dir);
        for (String companion : COMPANIONS) {
            Files.deleteIfExists(dir.resolve(companion));
        }
        backups.delete(dir);
        Files.deleteIfExists(dir.resolve(CERT));
        BaseDirectory.fsyncDirectory(dir);
    }

    /** A durable temporary holding {@code content} for the file, or empty when the file already holds it. */
    private Optional<Path> writeIfChanged(Path dir, String fileName, byte[] content, FileAccess access) throws IOException {
        Path file = dir.resolve(fileName);
        Optional<Stored> existing = tree.read(file);
        if (existing.isPresent()) {
            try (Stored current = existing.get()) {
                if (MessageDigest.isEqual(current.content(), content) && access.holds(current)) {
                    fresh.found(file, current, content);
                    return Optional.empty();
                }
            }
        }
        Path written = BaseDirectory.writeTemporary(dir, file, content, access);
        fresh.wrote(file, written, content);
        return Optional.of(written);
    }

    /**
     * Whether every file of the delivered version is as this process wrote or found it during the delivery, and the
     * other custody's key file is gone: the files cannot differ from what the full check would read and parse.
     */
    private boolean untouched(Path dir, Delivery delivery, CertificateFormat format) {
        if (format == CertificateFormat.PKCS12) {
            // A keystore is not reproducible byte for byte: it is opened and checked every time.
            return false;
        }
        CertificateMaterial material = delivery.certificate();
        String keyFile = format.keyFiles(material, delivery.binding()).get(0);
        byte[] key = format == CertificateFormat.COMBINED ? CertificateFormat.combined(material) : keyContent(name, material);
        try {
            return fresh.untouched(dir.resolve(CERT), material.certificatePem().getBytes(StandardCharsets.UTF_8))
                    & fresh.untouched(dir.resolve(CHAIN), material.chainPem().getBytes(StandardCharsets.UTF_8))
                    & fresh.untouched(dir.resolve(keyFile), key)
                    && KEY_FILES.stream().filter(f -> !f.equals(keyFile))
                    .noneMatch(f -> Files.exists(dir.resolve(f), LinkOption.NOFOLLOW_LINKS));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private boolean renameInto(Optional<Path> temporary, Path dir, String fileName) throws IOException {
        if (temporary.isEmpty()) {
            return false;
        }
        BaseDirectory.rename(temporary.get(), dir.resolve(fileName));
        fresh.renamed(dir.resolve(fileName));
        return true;
    }

    /** Replaces the file with {@code content}, durably, unless it already holds it. */
    private void replaceIfChanged(Path dir, String fileName, byte[] content, FileAccess access) throws IOException {
        if (renameInto(writeIfChanged(dir, fileName, content, access), dir, fileName)) {
            BaseDirectory.fsyncDirectory(dir);
        }
    }

    /** Deletes a file (a link itself, never its target) and makes the deletion durable. */
    private static void delete(Path dir, String fileName) throws IOException {
        if (Files.deleteIfExists(dir.resolve(fileName))) {
            BaseDirectory.fsyncDirectory(dir);
        }
    }
}
