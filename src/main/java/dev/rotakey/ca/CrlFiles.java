package dev.rotakey.ca;

import dev.rotakey.db.CrlDao.CrlRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps each CA's optional {@code crlFile} holding the newest CRL of its ACTIVE generation that this
 * node has seen, for a web server to publish. A failure to write is logged, never thrown: the CRL is
 * stored and served by the API regardless.
 */
final class CrlFiles {
    private static final Logger LOG = LoggerFactory.getLogger(CrlFiles.class);

    private final CaHierarchy hierarchy;
    /** The number of the CRL last written to each CA's {@code crlFile} by this node. */
    private final Map<String, Long> writtenCrlNumbers = new ConcurrentHashMap<>();

    CrlFiles(CaHierarchy hierarchy) {
        this.hierarchy = hierarchy;
    }

    /**
     * Writes an ACTIVE generation's CRL to the CA's {@code crlFile}, unless a newer one is there
     * already. Temp file and atomic rename, so that a web server reading the file never sees half a CRL.
     */
    synchronized void write(CrlRecord crl) {
        String file = hierarchy.config(crl.caName()).getCrlFile();
        Long written = writtenCrlNumbers.get(crl.caName());
        if (file == null || crl.der() == null || (written != null && written >= crl.crlNumber())) {
            return;
        }
        Path path = Path.of(file);
        try {
            Path dir = path.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
            try {
                Files.write(tmp, crl.der());
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            writtenCrlNumbers.put(crl.caName(), crl.crlNumber());
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("cannot write the CRL of certificate authority {} to {}: {}", crl.caName(), path, e.toString(), e);
        }
    }
}
