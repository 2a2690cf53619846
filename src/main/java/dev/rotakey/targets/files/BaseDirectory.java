package dev.rotakey.targets.files;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rotakey.targets.Revocation;
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
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The base directory a local-files target writes in, and the only way into it: paths confined below it (no symbolic
 * link may lead out), reads that refuse links, and writes and deletions that are atomic and durable (private temporary
 * file, rename, directory fsync).
 */
final class BaseDirectory {
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    static final String BACKUP_SUFFIX = ".rotakey-previous";
    static final String TEMP_MARK = ".rotakey-tmp-";

    private final String name;
    private final Path base;
    /**
     * Temporaries last modified before this are leftovers of an earlier life: when this target started, less a margin
     * for file systems whose timestamps lag the clock (a coarse kernel clock, whole seconds on some).
     */
    private final Instant leftoverBefore = Instant.now().minusSeconds(2);
    /** Directories already rid of leftovers; bounded, since forgetting one only costs another sweep. */
    private final Cache<String, Boolean> swept = Caffeine.newBuilder().maximumSize(10_000).build();

    /**
     * @param baseDirectory an existing directory; symbolic links in it are resolved once, here
     * @throws TargetException when the directory does not exist or cannot be resolved
     */
    BaseDirectory(String name, Path baseDirectory) {
        this.name = name;
        try {
            this.base = baseDirectory.toRealPath();
        } catch (IOException e) {
            throw new TargetException("target '" + name + "': base directory " + baseDirectory + " is not accessible", false, e);
        }
        if (!Files.isDirectory(base)) {
            throw new TargetException("target '" + name + "': " + base + " is not a directory", false);
        }
    }

    /** The base directory's real path. */
    Path path() {
        return base;
    }

    /**
     * The real path of the file's directory, after checking that no component leaves the base
     * directory; missing components are created (0700) when {@code create}, otherwise the result
     * is empty.
     */
    Optional<Path> directory(List<String> segments, boolean create) throws IOException {
        return directory(segments, create, FileAccess.PRIVATE, false);
    }

    /**
     * As {@link #directory(List, boolean)}, for a binding with {@code access}: when it shares its files with another
     * user, every directory on the way lets anyone pass through (never list: {@link FileAccess#PASS_THROUGH}), and the
     * last one, when {@code ownLast} (a certificate's directory, which its binding holds alone), gets the binding's
     * own directory mode and group.
     */
    Optional<Path> directory(List<String> segments, boolean create, FileAccess access, boolean ownLast) throws IOException {
        if (create && access.shared()) {
            requirePassThrough(base);
        }
        Path dir = base;
        for (int i = 0; i < segments.size(); i++) {
            Path next = dir.resolve(segments.get(i));
            boolean created = false;
            if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                if (!create) {
                    return Optional.empty();
                }
                try {
                    Files.createDirectory(next, PosixFilePermissions.asFileAttribute(DIRECTORY_MODE));
                    created = true;
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
            if (create && access.shared()) {
                if (ownLast && i == segments.size() - 1) {
                    if (created || !access.directoryMode().equals(Files.getPosixFilePermissions(real))) {
                        access.applyToDirectory(real);
                    }
                } else if (created) {
                    // Set after creation rather than as an attribute of it: a umask would strip the others' bit.
                    Files.setPosixFilePermissions(real, FileAccess.PASS_THROUGH);
                } else {
                    letPassThrough(real);
                }
            }
            dir = real;
        }
        return Optional.of(dir);
    }

    /**
     * Lets other users pass through a directory Rotakey made private before (a binding without a group came first):
     * adds the others' search bit only, never reading or writing.
     */
    private void letPassThrough(Path dir) throws IOException {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (!mode.contains(PosixFilePermission.OTHERS_EXECUTE)) {
            Set<PosixFilePermission> wider = EnumSet.copyOf(mode);
            wider.add(PosixFilePermission.OTHERS_EXECUTE);
            Files.setPosixFilePermissions(dir, wider);
        }
    }

    /**
     * Refuses a base directory that other users cannot pass through: a binding that shares its files with an agent
     * would deliver files the agent can never reach.
     */
    void requirePassThrough(Path dir) throws IOException {
        if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
            throw new TargetException("target '" + name + "': its directory " + dir + " has mode "
                    + PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)) + ", so no agent can reach the "
                    + "files a binding with 'group' or 'owner' shares; give it mode 0711 (chmod 0711 " + dir
                    + "): others may then pass through it, but not list it", false);
        }
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
            // The attributes are the ones read before the content: if the file was swapped in between, they describe
            // the old one, and whoever compares them later finds the file changed (never the other way round).
            return Optional.of(new Stored(in.readAllBytes(), attributes.permissions(), attributes.owner().getName(),
                    attributes.group().getName(), attributes.fileKey(), attributes.size(),
                    attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS)));
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

    /** Whether the file exists and holds another version than the revoked or discarded one. */
    boolean holdsAnother(Path file, Revocation revocation) throws IOException {
        return read(file).map(stored -> {
            try (stored) {
                return !revocation.matcher().matches(stored.content());
            }
        }).orElse(false);
    }

    /**
     * Replaces {@code target} with {@code content} so that a reader or a crash sees either the old
     * or the new content, never a mix: the temporary file is private from its creation on.
     */
    static void writeAtomically(Path dir, Path target, byte[] content) throws IOException {
        writeAtomically(dir, target, content, FileAccess.PRIVATE);
    }

    /** As {@link #writeAtomically(Path, Path, byte[])}, the file with {@code access}. */
    static void writeAtomically(Path dir, Path target, byte[] content, FileAccess access) throws IOException {
        Path temporary = writeTemporary(dir, target, content, access);
        rename(temporary, target);
        fsyncDirectory(dir);
    }

    /**
     * Writes {@code content} durably to a new private temporary file beside {@code target}, for {@link #rename} to put
     * in its place once whatever must precede it is durable.
     */
    static Path writeTemporary(Path dir, Path target, byte[] content) throws IOException {
        return writeTemporary(dir, target, content, FileAccess.PRIVATE);
    }

    /**
     * As {@link #writeTemporary(Path, Path, byte[])}, the file then given {@code access} before its data is synced: it
     * is private until then, and has its final owner, group and mode before it is renamed into place.
     */
    static Path writeTemporary(Path dir, Path target, byte[] content, FileAccess access) throws IOException {
        Path temporary = temporaryFor(dir, target);
        try (FileChannel channel = FileChannel.open(temporary,
                EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(FILE_MODE))) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            access.apply(temporary);
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(temporary, e);
            throw e;
        }
        return temporary;
    }

    /** Renames a temporary file over its target, atomically; durable once the directory is synced. */
    static void rename(Path temporary, Path target) throws IOException {
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(temporary, e);
            throw e;
        }
    }

    /**
     * Makes {@code backup} a second name of the file's present content: a hard link, since a delivery replaces the
     * file by a rename and never writes into it, so the backup keeps the old content without a copy or a data fsync.
     * Durable once the directory is synced. Falls back to a copy where the file system has no hard links.
     */
    static void keepAs(Path dir, Path file, Stored current, Path backup) throws IOException {
        keepAs(dir, file, current, backup, FileAccess.PRIVATE);
    }

    /** As {@link #keepAs(Path, Path, Stored, Path)}, for a file meant to have {@code access}. */
    static void keepAs(Path dir, Path file, Stored current, Path backup, FileAccess access) throws IOException {
        if (!access.holds(current)) {
            // A link shares the file's mode: a file someone opened up is backed up as a copy with the binding's access.
            rename(writeTemporary(dir, backup, current.content(), access), backup);
            return;
        }
        Path temporary = temporaryFor(dir, backup);
        try {
            Files.createLink(temporary, file);
        } catch (UnsupportedOperationException | IOException noLinks) {
            Files.deleteIfExists(temporary);
            rename(writeTemporary(dir, backup, current.content(), access), backup);
            return;
        }
        rename(temporary, backup);
    }

    private static Path temporaryFor(Path dir, Path target) {
        return dir.resolve("." + target.getFileName() + TEMP_MARK
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
    }

    private static void deleteQuietly(Path temporary, Throwable failure) {
        try {
            Files.deleteIfExists(temporary);
        } catch (IOException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }

    /**
     * Removes the temporaries that writes interrupted in an earlier life of the daemon left in {@code dir} (they may
     * hold secrets), once per directory in this target's life: listing a directory of thousands of files before every
     * write made a mass rotation quadratic. A temporary written since this target started is not a leftover: it
     * belongs to a write in progress (this node's, or another's sharing the directory), and this node's own failed
     * writes remove theirs. (A leftover of a crash in the last seconds before this start waits for the next start.)
     */
    void removeLeftoverTemporaries(Path dir) throws IOException {
        String key = dir.toString();
        if (swept.getIfPresent(key) != null) {
            return;
        }
        removeTemporaries(dir, temporary -> Files.getLastModifiedTime(temporary, LinkOption.NOFOLLOW_LINKS)
                .toInstant().isBefore(leftoverBefore));
        swept.put(key, Boolean.TRUE);
    }

    /** Removes every temporary in {@code dir}, whatever its age: for a directory being emptied under its lock. */
    static void removeAllTemporaries(Path dir) throws IOException {
        removeTemporaries(dir, temporary -> true);
    }

    /** A test of one temporary file that may fail with an {@link IOException}. */
    private interface TemporaryTest {
        boolean test(Path temporary) throws IOException;
    }

    private static void removeTemporaries(Path dir, TemporaryTest remove) throws IOException {
        try (DirectoryStream<Path> temporaries = Files.newDirectoryStream(dir,
                p -> p.getFileName().toString().contains(TEMP_MARK))) {
            for (Path temporary : temporaries) {
                try {
                    if (remove.test(temporary)) {
                        Files.deleteIfExists(temporary);
                    }
                } catch (NoSuchFileException gone) {
                    // Renamed or removed by the write it belongs to.
                }
            }
        }
    }

    /** Makes a rename or deletion durable: without it a crash may bring the old entry back. */
    static void fsyncDirectory(Path dir) throws IOException {
        DirectorySync.DEFAULT.sync(dir);
    }

    /** A failed file operation: retryable, since a full disk or a permission can be fixed. */
    TargetException ioFailure(String action, Path file, IOException e) {
        return new TargetException("target '" + name + "': cannot " + action + " " + file + ": " + e, true, e);
    }

    /** Content read from a file, wiped when closed. */
    record Stored(byte[] content, Set<PosixFilePermission> mode, String owner, String group, Object fileKey, long size,
                  long modifiedNanos)
            implements AutoCloseable {
        @Override
        public void close() {
            Arrays.fill(content, (byte) 0);
        }

        @Override
        public String toString() {
            return "Stored[redacted]";
        }
    }
}
