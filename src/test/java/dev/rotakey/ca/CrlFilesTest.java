package dev.rotakey.ca;

import dev.rotakey.db.CrlDao.CrlRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The crlFile of a CA: written whole with public permissions, never replaced by an older CRL, never a failure. */
class CrlFilesTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;

    private static CrlRecord crl(String ca, long number, byte[] der) {
        return new CrlRecord(ca, 1, number, NOW, NOW.plusSeconds(3600), der, false);
    }

    private static CrlFiles files(String ca, Path file) {
        CertificateAuthorityFactory f = new CertificateAuthorityFactory();
        f.setCrlFile(file == null ? null : file.toString());
        return new CrlFiles(new CaHierarchy(Map.of(ca, f)));
    }

    @Test
    void theNewestCrlIsWrittenWholeAndAnOlderOneNeverReplacesIt() throws Exception {
        Path file = dir.resolve("published/agents.crl");
        CrlFiles files = files("agents-ca", file);

        files.write(crl("agents-ca", 5, new byte[]{5}));
        assertThat(Files.readAllBytes(file)).containsExactly(5);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");

        files.write(crl("agents-ca", 4, new byte[]{4}));
        files.write(crl("agents-ca", 5, new byte[]{55}));
        assertThat(Files.readAllBytes(file)).containsExactly(5);

        files.write(crl("agents-ca", 6, new byte[]{6}));
        assertThat(Files.readAllBytes(file)).containsExactly(6);
        try (var listing = Files.list(file.getParent())) {
            assertThat(listing.map(p -> p.getFileName().toString()).toList()).containsExactly("agents.crl");
        }
    }

    @Test
    void noFileConfiguredOrNoCrlSignedWritesNothing() throws Exception {
        files("agents-ca", null).write(crl("agents-ca", 1, new byte[]{1}));
        Path file = dir.resolve("agents.crl");
        files("agents-ca", file).write(crl("agents-ca", 1, null));

        try (var listing = Files.list(dir)) {
            assertThat(listing.toList()).isEmpty();
        }
    }

    @Test
    void aFileThatCannotBeWrittenIsLoggedAndTriedAgainWithTheNextCrl() throws Exception {
        Path blocker = Files.writeString(dir.resolve("not-a-directory"), "x");
        Path file = blocker.resolve("agents.crl");
        CrlFiles files = files("agents-ca", file);

        files.write(crl("agents-ca", 3, new byte[]{3}));

        assertThat(Files.readString(blocker)).isEqualTo("x");
        Files.delete(blocker);
        files.write(crl("agents-ca", 3, new byte[]{3}));
        assertThat(Files.readAllBytes(file)).as("a failed write does not count as written").containsExactly(3);
    }
}
