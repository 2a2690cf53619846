package dev.rotakey.auth;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The bootstrap admin token: created once, kept by every later start, and never replaced by another node of a cluster. */
class BootstrapTokenTest {
    @TempDir
    Path dir;
    private TestDatabase db;
    private OperatorTokens tokens;
    private AuditLog audit;
    private final TestClock clock = new TestClock(Instant.parse("2026-12-06T00:00:00Z"));
    private final NotifiedCache<String, Operator> cache = NotifiedCache.local(clock, 100, java.time.Duration.ofMinutes(1));

    @BeforeEach
    void open() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.H2, dir);
        audit = new AuditLog(db.store(), clock, dev.rotakey.cluster.NodeIdentity.single("test-node"));
        tokens = new OperatorTokens(db.store(), audit, clock, cache);
    }

    @AfterEach
    void close() throws Exception {
        db.close();
    }

    private BootstrapToken node(boolean clustered) {
        return new BootstrapToken(db.store(), audit, clock, clustered, cache);
    }

    @Test
    void theFirstStartGeneratesAPrivateTokenFileAndLaterStartsKeepIt() throws Exception {
        Path file = dir.resolve("node1/admin-token");
        node(false).ensure(file);
        String token = Files.readString(file).trim();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(tokens.authenticate(token)).contains(new Operator("admin", "admin"));

        node(false).ensure(file);
        assertThat(Files.readString(file).trim()).isEqualTo(token);
        assertThat(tokens.authenticate(token)).isPresent();
    }

    @Test
    void aSecondClusterNodeWithoutTheFileUsesTheClustersTokenAndWritesNone() throws Exception {
        Path first = dir.resolve("node1/admin-token");
        node(true).ensure(first);
        String token = Files.readString(first).trim();

        Path second = dir.resolve("node2/admin-token");
        node(true).ensure(second);

        assertThat(second).doesNotExist();
        assertThat(tokens.authenticate(token)).as("the first node's operators keep their token").isPresent();
    }

    @Test
    void aClusterNodeWithAnUnknownTokenFileDoesNotReplaceTheClustersToken() throws Exception {
        Path first = dir.resolve("node1/admin-token");
        node(true).ensure(first);
        String token = Files.readString(first).trim();

        Path stale = dir.resolve("node2/admin-token");
        Files.createDirectories(stale.getParent());
        Files.writeString(stale, "rkt_a-token-from-some-other-install\n");
        Files.setPosixFilePermissions(stale, PosixFilePermissions.fromString("rw-------"));
        node(true).ensure(stale);

        assertThat(tokens.authenticate(token)).isPresent();
        assertThat(tokens.authenticate("rkt_a-token-from-some-other-install")).isEmpty();
    }

    @Test
    void aClusterNodeHandedTheClustersTokenFileUsesIt() throws Exception {
        Path first = dir.resolve("node1/admin-token");
        node(true).ensure(first);
        Path copy = dir.resolve("node2/admin-token");
        Files.createDirectories(copy.getParent());
        Files.copy(first, copy);

        node(true).ensure(copy);

        assertThat(tokens.authenticate(Files.readString(copy).trim())).isPresent();
    }

    @Test
    void aSingleNodeWhoseFileWasDeletedGetsANewTokenThatReplacesTheLostOne() throws Exception {
        Path file = dir.resolve("admin-token");
        node(false).ensure(file);
        String lost = Files.readString(file).trim();
        // Now in the token cache, which the replacement must empty.
        assertThat(tokens.authenticate(lost)).isPresent();
        Files.delete(file);

        node(false).ensure(file);

        String fresh = Files.readString(file).trim();
        assertThat(fresh).isNotEqualTo(lost);
        assertThat(tokens.authenticate(fresh)).isPresent();
        assertThat(tokens.authenticate(lost)).isEmpty();
    }
}
