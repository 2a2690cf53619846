package dev.rotakey.testing;

import io.dropwizard.db.DataSourceFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * H2 databases with Rotakey's schema, migrated once per JVM: the first request runs Liquibase on a
 * template database in a temporary directory and closes it; every database after that is a copy of
 * its file, which takes milliseconds where Liquibase takes about a second.
 */
final class MigratedH2 {
    /** The file H2 keeps a {@code jdbc:h2:file:<dir>/rotakey} database in. */
    private static final String FILE = "rotakey.mv.db";
    private static Path template;

    private MigratedH2() {
    }

    /**
     * Puts a migrated database {@code <dir>/rotakey} in place, creating {@code dir} if need be. A
     * database already there is kept: a test opening the same directory again is restarting on it.
     */
    static void copyInto(Path dir) throws Exception {
        Path target = dir.resolve(FILE);
        if (!Files.exists(target)) {
            Path source = template();
            Files.createDirectories(dir);
            Files.copy(source, target);
        }
    }

    private static synchronized Path template() throws Exception {
        if (template == null) {
            Path dir = Files.createTempDirectory("rotakey-h2-template");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "delete-h2-template"));
            DataSourceFactory f = TestDatabases.h2(dir);
            TestDatabases.migrate(f);
            // SHUTDOWN returns once the database is closed and its file complete, ready to be copied.
            try (Connection c = DriverManager.getConnection(f.getUrl(), f.getUser(), f.getPassword());
                 Statement s = c.createStatement()) {
                s.execute("SHUTDOWN");
            }
            template = dir.resolve(FILE);
        }
        return template;
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
