package dev.rotakey.targets.files;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Delivers credentials as files (mode 0600) under one base directory, written atomically, with
 * the previous content kept beside each file until the new version is settled so that a failed
 * rotation can put it back. An API key goes to the one file its binding's {@code path} names; a
 * certificate goes to the directory it names, as {@link CertificateFiles} describes.
 *
 * <p>Symbolic links are checked when an operation starts (no path component may resolve outside
 * the base directory, the file itself may not be a link). Whoever can write inside the base
 * directory could still swap a directory for a link between that check and the write; the base
 * directory is 0700 so that only Rotakey's own user can.
 */
public final class LocalFilesTarget implements Target {
    static final String TYPE = "local-files";
    static final String PATH = "path";
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    static final String BACKUP_SUFFIX = ".rotakey-previous";
    static final String TEMP_MARK = ".rotakey-tmp-";
    static final String LOGIN_PATH = "loginPath";
    private static final Set<String> PARAMETERS = Set.of(PATH, LOGIN_PATH);

    private final String name;
    private final Path base;
    private final CertificateFiles certificates;
    private final LoginFile logins;

    /**
     * @param baseDirectory an existing directory; symbolic links in it are resolved once, here
     * @throws TargetException when the directory does not exist or cannot be resolved
     */
    public LocalFilesTarget(String name, Path baseDirectory) {
        this.name = name;
        try {
            this.base = baseDirectory.toRealPath();
        } catch (IOException e) {
            throw new TargetException("target '" + name + "': base directory " + baseDirectory + " is not accessible", false, e);
        }
        if (!Files.isDirectory(base)) {
            throw new TargetException("target '" + name + "': " + base + " is not a directory", false);
        }
        this.certificates = new CertificateFiles(this);
        this.logins = new LoginFile(this);
    }

    String targetName() {
        return name;
    }

    Path base() {
        return base;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public void validateBinding(TargetBinding binding) {
        Location.of(binding);
    }

    /**
     * The file the binding writes (its backup and temporary files are named after it) and, since the same path may
     * hold a certificate's directory, the files a certificate puts there: two credentials bound to one path, or one
     * to a certificate's file, would overwrite each other.
     */
    @Override
    public List<String> claims(TargetBinding binding) {
        String path = Location.of(binding).relative();
        Stream<String> login = Location.login(binding).map(Location::relative).stream();
        return Stream.of(Stream.of(path), Stream.of(CertificateFiles.CERT, CertificateFiles.CHAIN, CertificateFiles.KEY,
                CertificateFiles.KEY_URI).map(f -> path + "/" + f), login).flatMap(x -> x).map(p -> "path:" + p).toList();
    }

    @Override
    public void deliver(Delivery delivery) {
        if (isCertificate(delivery)) {
            certificates.deliver(delivery);
            return;
        }
        Location location = locate(delivery.binding());
        byte[] material = delivery.material().utf8();
        Path file = base.resolve(location.relative());
        try {
            Path dir = directory(location.parents(), true).orElseThrow();
            file = dir.resolve(location.fileName());
            Path backup = dir.resolve(location.backupName());
            Optional<Stored> existing = read(file);
            if (existing.isPresent()) {
                try (Stored current = existing.get()) {
                    boolean same = MessageDigest.isEqual(current.content(), material);
                    if (same && current.mode().equals(FILE_MODE)) {
                        logins.deliver(delivery);
                        return;
                    }
                    if (!same) {
                        writeAtomically(dir, backup, current.content());
                    }
                }
            } else if (Files.deleteIfExists(backup)) {
                // A backup from an earlier life of this file would otherwise be "restored" by a
                // discard, although before this rotation there was no file at all.
                fsyncDirectory(dir);
            }
            removeLeftoverTemporaries(dir, location.fileName());
            removeLeftoverTemporaries(dir, location.backupName());
            // Before the secret: a consumer reloading on the secret's change then reads the matching login.
            logins.deliver(delivery);
            writeAtomically(dir, file, material);
        } catch (IOException e) {
            throw ioFailure("deliver version " + delivery.version() + " to", file, e);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    @Override
    public void verify(Delivery delivery) {
        if (isCertificate(delivery)) {
            certificates.verify(delivery);
            return;
        }
        Location location = locate(delivery.binding());
        byte[] material = delivery.material().utf8();
        Path file = base.resolve(location.relative());
        try {
            Optional<Path> dir = directory(location.parents(), false);
            Optional<Stored> stored = Optional.empty();
            if (dir.isPresent()) {
                file = dir.get().resolve(location.fileName());
                stored = read(file);
            }
            if (stored.isEmpty()) {
                throw new TargetException("target '" + name + "': " + file + " is missing; version "
                        + delivery.version() + " of " + delivery.credentialId() + " is not delivered", true);
            }
            try (Stored current = stored.get()) {
                if (!MessageDigest.isEqual(current.content(), material)) {
                    throw new TargetException("target '" + name + "': " + file + " does not hold version "
                            + delivery.version() + " of " + delivery.credentialId(), true);
                }
                if (!current.mode().equals(FILE_MODE)) {
                    throw new TargetException("target '" + name + "': " + file + " has mode "
                            + PosixFilePermissions.toString(current.mode()) + ", expected rw-------", true);
                }
            }
            logins.verify(delivery);
        } catch (IOException e) {
            throw ioFailure("read", file, e);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    @Override
    public void revoke(Revocation revocation) {
        if (CertificateFiles.TYPE.equals(revocation.credentialType())) {
            certificates.revoke(revocation);
            return;
        }
        Location location = locate(revocation.binding());
        Path file = base.resolve(location.relative());
        try {
            Optional<Path> dir = directory(location.parents(), false);
            if (dir.isEmpty()) {
                return;
            }
            file = dir.get().resolve(location.fileName());
            boolean changed = deleteIfHolds(file, revocation);
            if (changed) {
                logins.revoked(revocation.binding());
            }
            file = dir.get().resolve(location.backupName());
            changed |= deleteIfHolds(file, revocation);
            if (changed) {
                fsyncDirectory(dir.get());
            }
        } catch (IOException e) {
            throw ioFailure("revoke version " + revocation.version() + " at", file, e);
        }
    }

    @Override
    public void discard(Revocation revocation) {
        if (CertificateFiles.TYPE.equals(revocation.credentialType())) {
            certificates.discard(revocation);
            return;
        }
        Location location = locate(revocation.binding());
        Path file = base.resolve(location.relative());
        try {
            Optional<Path> dir = directory(location.parents(), false);
            if (dir.isEmpty()) {
                return;
            }
            file = dir.get().resolve(location.fileName());
            if (!holds(file, revocation)) {
                return;
            }
            Path backup = dir.get().resolve(location.backupName());
            boolean restorable = read(backup).map(previous -> {
                try (previous) {
                    return !revocation.matcher().matches(previous.content());
                }
            }).orElse(false);
            logins.discard(revocation.binding(), restorable);
            if (restorable) {
                // The backup was written atomically with mode 0600 and fsynced: renaming it over
                // the file restores the previous version and removes the backup in one step.
                Files.move(backup, file, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.delete(file);
                Files.deleteIfExists(backup);
            }
            fsyncDirectory(dir.get());
        } catch (IOException e) {
            throw ioFailure("discard version " + revocation.version() + " at", file, e);
        }
    }

    /**
     * Whether a delivery is a certificate's: refuses one that says it is a certificate without
     * carrying one, which would otherwise be written as a single file holding only the PEM.
     */
    private boolean isCertificate(Delivery delivery) {
        if (!delivery.isCertificate() && CertificateFiles.TYPE.equals(delivery.credentialType())) {
            throw new TargetException("target '" + name + "': " + delivery + " is a certificate delivery without "
                    + "its chain and key", false);
        }
        return delivery.isCertificate();
    }

    Location locate(TargetBinding binding) {
        try {
            return Location.of(binding);
        } catch (InvalidBindingException e) {
            throw new TargetException("target '" + name + "': invalid binding: " + e.getMessage(), false, e);
        }
    }

    /**
     * The real path of the file's directory, after checking that no component leaves the base
     * directory; missing components are created (0700) when {@code create}, otherwise the result
     * is empty.
     */
    Optional<Path> directory(List<String> segments, boolean create) throws IOException {
        Path dir = base;
        for (String segment : segments) {
            Path next = dir.resolve(segment);
            if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                if (!create) {
                    return Optional.empty();
                }
                try {
                    Files.createDirectory(next, PosixFilePermissions.asFileAttribute(DIRECTORY_MODE));
                } catch (FileAlreadyExistsException raced) {
                    // Created concurrently; the real-path check below applies to whatever it is.
                    if (!Files.isDirectory(next)) {
                        throw raced;
                    }
                }
            }
            Path real = next.toRealPath();
            if (!real.startsWith(base)) {
                throw new TargetException("target '" + name + "': " + next + " resolves to " + real
                        + ", outside " + base + "; refusing to follow the symbolic link", false);
            }
            if (!Files.isDirectory(real)) {
                throw new TargetException("target '" + name + "': " + next + " is not a directory", false);
            }
            dir = real;
        }
        return Optional.of(dir);
    }

    /** The file's content and mode, or empty when it does not exist; never follows a link. */
    Optional<Stored> read(Path file) throws IOException {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (attributes.isSymbolicLink()) {
            throw new TargetException("target '" + name + "': " + file + " is a symbolic link; refusing to follow it", false);
        }
        if (attributes.isDirectory()) {
            throw new TargetException("target '" + name + "': " + file + " is a directory, not a file (a certificate's "
                    + "files are delivered to a directory; an API key's path must name a file)", false);
        }
        if (!attributes.isRegularFile()) {
            throw new TargetException("target '" + name + "': " + file + " is not a regular file", false);
        }
        try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(new Stored(in.readAllBytes(), attributes.permissions()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    boolean holds(Path file, Revocation revocation) throws IOException {
        Optional<Stored> stored = read(file);
        if (stored.isEmpty()) {
            return false;
        }
        try (Stored s = stored.get()) {
            return revocation.matcher().matches(s.content());
        }
    }

    private boolean deleteIfHolds(Path file, Revocation revocation) throws IOException {
        return holds(file, revocation) && Files.deleteIfExists(file);
    }

    /**
     * Replaces {@code target} with {@code content} so that a reader or a crash sees either the old
     * or the new content, never a mix: the temporary file is private from its creation on.
     */
    static void writeAtomically(Path dir, Path target, byte[] content) throws IOException {
        Path temporary = dir.resolve("." + target.getFileName() + TEMP_MARK
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
        try {
            try (FileChannel channel = FileChannel.open(temporary,
                    EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(FILE_MODE))) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        fsyncDirectory(dir);
    }

    /** Temporary files of a write that a crash interrupted; they may hold secret material. */
    static void removeLeftoverTemporaries(Path dir, String fileName) throws IOException {
        String prefix = "." + fileName + TEMP_MARK;
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir,
                p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path leftover : leftovers) {
                Files.deleteIfExists(leftover);
            }
        }
    }

    /** Makes a rename or deletion durable: without it a crash may bring the old entry back. */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    TargetException ioFailure(String action, Path file, IOException e) {
        return new TargetException("target '" + name + "': cannot " + action + " " + file + ": " + e, true, e);
    }

    @Override
    public String toString() {
        return "LocalFilesTarget{name=" + name + ", directory=" + base + "}";
    }

    /** Content read from a file, wiped when closed. */
    record Stored(byte[] content, Set<PosixFilePermission> mode) implements AutoCloseable {
        @Override
        public void close() {
            Arrays.fill(content, (byte) 0);
        }

        @Override
        public String toString() {
            return "Stored[redacted]";
        }
    }

    /** A binding's relative path, checked to be normalised and to stay below the base directory. */
    record Location(String relative, List<String> parents, String fileName) {

        static Location of(TargetBinding binding) {
            binding.refuseUnknownParams(TYPE, PARAMETERS);
            Location secret = parse(PATH, binding.requireParam(PATH));
            String login = binding.param(LOGIN_PATH);
            if (login != null && parse(LOGIN_PATH, login).relative().equals(secret.relative())) {
                throw new InvalidBindingException(LOGIN_PATH, "must name another file than 'path'");
            }
            return secret;
        }

        /** The binding's login file ({@code loginPath}), if it asks for one. */
        static Optional<Location> login(TargetBinding binding) {
            String login = binding.param(LOGIN_PATH);
            return login == null ? Optional.empty() : Optional.of(parse(LOGIN_PATH, login));
        }

        static Location parse(String parameter, String path) {
            if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new InvalidBindingException(parameter, "must not contain control characters");
            }
            if (path.startsWith("/")) {
                throw new InvalidBindingException(parameter, "'" + path + "' must be relative to the target's directory, not absolute");
            }
            List<String> segments = List.of(path.split("/", -1));
            for (String segment : segments) {
                if (segment.isEmpty()) {
                    throw new InvalidBindingException(parameter, "'" + path + "' must not contain empty segments (a trailing or doubled '/')");
                }
                if (segment.equals(".") || segment.equals("..")) {
                    throw new InvalidBindingException(parameter, "'" + path + "' must be normalised, without '.' or '..' segments");
                }
            }
            String fileName = segments.get(segments.size() - 1);
            if (fileName.endsWith(BACKUP_SUFFIX) || fileName.contains(TEMP_MARK)) {
                throw new InvalidBindingException(parameter, "'" + path + "' collides with the names of Rotakey's own backup and temporary files");
            }
            return new Location(path, segments.subList(0, segments.size() - 1), fileName);
        }

        /** All segments: a certificate's path names the directory its files go to. */
        List<String> segments() {
            return Stream.concat(parents.stream(), Stream.of(fileName)).toList();
        }

        String backupName() {
            return "." + fileName + BACKUP_SUFFIX;
        }
    }
}
