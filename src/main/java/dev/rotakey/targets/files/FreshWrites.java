package dev.rotakey.targets.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this process has just written into a local-files target, so that the verification that follows a delivery
 * need not read back and re-check files nobody has touched since: a file whose inode, size, modification time and
 * mode are still those it had when written, and whose recorded digest is that of the expected content, holds it.
 * Anything else (a restart, a file replaced or edited, another version expected) falls back to the full check.
 * Only digests are kept, never content.
 */
final class FreshWrites {
    /** Deliveries awaiting their verification at most; past it the record starts afresh (verifications read). */
    private static final int MAX = 20_000;

    private final Map<Path, Stamp> stamps = new ConcurrentHashMap<>();

    /**
     * A file as written: its identity, size, times and the digest of its content. The change time cannot be set from
     * user space, so an edit that restores the size and modification time still shows.
     */
    private record Stamp(Object fileKey, long size, long modifiedNanos, long changedNanos, byte[] digest) {
        boolean sameFile(Stamp other) {
            return sameWrite(other) && changedNanos == other.changedNanos;
        }

        /** The same inode, size and modification time: what a rename, which changes the change time, keeps. */
        boolean sameWrite(Stamp other) {
            return fileKey != null && fileKey.equals(other.fileKey) && size == other.size
                    && modifiedNanos == other.modifiedNanos;
        }

        Stamp holding(byte[] content) {
            return withDigest(FreshWrites.digest(content));
        }

        Stamp withDigest(byte[] contentDigest) {
            return new Stamp(fileKey, size, modifiedNanos, changedNanos, contentDigest);
        }
    }

    /** Records that {@code file} (or the temporary about to be renamed to it, which keeps its inode) holds {@code content}. */
    void wrote(Path file, Path written, byte[] content) {
        if (stamps.size() >= MAX) {
            stamps.clear();
        }
        stamp(written).ifPresentOrElse(s -> stamps.put(file, s.holding(content)), () -> stamps.remove(file));
    }

    /**
     * Records that the temporary recorded by {@link #wrote} is now {@code file}. A rename changes a file's change time
     * (ext4, XFS and tmpfs do), so the record is taken again, provided the file is still the one written: same inode,
     * size and modification time.
     */
    void renamed(Path file) {
        Stamp written = stamps.get(file);
        Optional<Stamp> now = stamp(file);
        if (written == null || now.isEmpty() || !written.sameWrite(now.get())) {
            stamps.remove(file);
            return;
        }
        stamps.put(file, now.get().withDigest(written.digest()));
    }

    /** Records that {@code file}, read as {@code stored}, holds {@code content} (compared by the caller). */
    void found(Path file, BaseDirectory.Stored stored, byte[] content) {
        if (stamps.size() >= MAX) {
            stamps.clear();
        }
        Optional<Stamp> now = stamp(file);
        // Only if the file is still the one read (same inode, size and modification time) is the comparison its own.
        if (now.isEmpty() || stored.fileKey() == null || !stored.fileKey().equals(now.get().fileKey())
                || stored.size() != now.get().size() || stored.modifiedNanos() != now.get().modifiedNanos()) {
            stamps.remove(file);
            return;
        }
        stamps.put(file, now.get().holding(content));
    }

    /** Whether {@code file} is untouched since it was recorded holding {@code expected}; forgets it either way. */
    boolean untouched(Path file, byte[] expected) {
        Stamp recorded = stamps.remove(file);
        if (recorded == null) {
            return false;
        }
        Optional<Stamp> now = stamp(file);
        return now.isPresent() && recorded.sameFile(now.get()) && MessageDigest.isEqual(recorded.digest(), digest(expected));
    }

    /** Forgets a file (revoked, discarded, or a delivery that failed half-way). */
    void forget(Path file) {
        stamps.remove(file);
    }

    private static Optional<Stamp> stamp(Path file) {
        try {
            // A change of mode, owner or group changes the change time: the stamp need not record them.
            Map<String, Object> a = Files.readAttributes(file, "unix:fileKey,size,lastModifiedTime,ctime,isRegularFile",
                    LinkOption.NOFOLLOW_LINKS);
            if (!Boolean.TRUE.equals(a.get("isRegularFile"))) {
                return Optional.empty();
            }
            return Optional.of(new Stamp(a.get("fileKey"), (Long) a.get("size"),
                    ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS),
                    ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS), null));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            // Gone, or a file system without these attributes: the verification reads the file instead.
            return Optional.empty();
        }
    }

    private static byte[] digest(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    @Override
    public String toString() {
        return "FreshWrites{" + stamps.size() + " file(s)}";
    }
}
