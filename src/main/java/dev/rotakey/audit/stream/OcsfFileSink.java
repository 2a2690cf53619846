package dev.rotakey.audit.stream;

import dev.rotakey.db.AuditDao.Chained;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/**
 * Appends audit events as OCSF JSON lines to a file for a log shipper to collect, synced to disk before the stream's
 * cursor moves. The file is opened for each batch, so that a log rotation that moves it away is followed at once.
 */
final class OcsfFileSink implements AuditStreamSink {
    private final Path path;
    private final OcsfEvents ocsf;

    OcsfFileSink(Path path, OcsfEvents ocsf) {
        this.path = path;
        this.ocsf = ocsf;
    }

    @Override
    public void deliver(List<Chained> events) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(ocsf.lines(events).getBytes(StandardCharsets.UTF_8));
        try (FileChannel file = open()) {
            while (bytes.hasRemaining()) {
                file.write(bytes);
            }
            file.force(false);
        }
    }

    /** Appends to the file, created readable by its owner and group only: the trail names who did what. */
    private FileChannel open() throws IOException {
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                StandardOpenOption.CREATE);
        // The mode applies only when the file is created; an existing file keeps its own.
        if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return FileChannel.open(path, options);
        }
        return FileChannel.open(path, options, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-r-----")));
    }

    @Override
    public void close() {
        // nothing stays open between batches
    }

    @Override
    public String toString() {
        return "ocsf-file:" + path;
    }
}
