package dev.rotakey.testing;

import io.dropwizard.db.DataSourceFactory;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * PostgreSQL databases with Rotakey's schema, migrated once per JVM. Liquibase runs once, on a
 * template database {@code rk_tpl_<hex>}; a test gets a database {@code rk_db_<hex>} copied from it
 * ({@code CREATE DATABASE … TEMPLATE}), and gives it back when it is done: its rows are deleted,
 * its sequences restarted, and it waits for the next test. So a run copies only as many databases as it has open at once,
 * and dropping them (slow: a checkpoint each) waits until the JVM exits. Names carry their creation
 * time, so that what a killed JVM leaves behind is dropped by a later run.
 *
 * <p>A database whose structure a test changed (a renamed table, a new index) is dropped rather than
 * handed out again, so every test starts from exactly what the migrations make.
 */
final class MigratedPostgres {
    private static final Pattern OURS = Pattern.compile("rk_(?:tpl|db)_[0-9a-f]{16}");
    private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/?]+/)([^?]*)(\\?.*)?$");
    private static final SecureRandom RANDOM = new SecureRandom();
    /** What the structure of a migrated database looks like: columns, indexes and constraints of schema public. */
    private static final String FINGERPRINT = """
            SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (
              SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' '
                     || coalesce(column_default, '') AS x
                FROM information_schema.columns WHERE table_schema = 'public'
              UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
              UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
                FROM pg_constraint WHERE connamespace = 'public'::regnamespace) s""";

    private static String template;
    private static String fingerprint;
    /**
     * Empties every table but Liquibase's own (which record the migrations that were applied). DELETE
     * with foreign keys unchecked, not TRUNCATE: TRUNCATE makes new files for every table and index,
     * which takes over a second on a busy machine, where deleting a test's few rows takes milliseconds.
     */
    private static String emptyTables;
    /** Sets every sequence back to its start, as a fresh copy has them. */
    private static final String RESTART_SEQUENCES = "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s "
            + "JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = 'public'::regnamespace";
    private static final Deque<String> FREE = new ArrayDeque<>();
    /** Databases this JVM copied and has not dropped, handed out or free. */
    private static final Set<String> OWNED = ConcurrentHashMap.newKeySet();

    private MigratedPostgres() {
    }

    /** A migrated, empty database for one test; give it back with {@link #release}. */
    static DataSourceFactory take() {
        String database;
        synchronized (MigratedPostgres.class) {
            database = FREE.poll();
            if (database == null) {
                database = copy();
            }
        }
        return TestDatabases.postgresFactory(url(database));
    }

    /** The database of a factory {@link #take} made, if it was one. */
    static Optional<String> databaseOf(DataSourceFactory f) {
        Matcher m = URL.matcher(f.getUrl());
        return m.matches() && OWNED.contains(m.group(2)) ? Optional.of(m.group(2)) : Optional.empty();
    }

    /**
     * Empties a database from {@link #take} and keeps it for the next test; drops it instead when its
     * structure is no longer what the migrations made. Connections the test left open are ended first.
     */
    static void release(String database) {
        boolean reusable;
        try (Connection c = TestDatabases.adminConnection(url(database)); Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = '10s'");
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    + "WHERE datname = current_database() AND pid <> pg_backend_pid()");
            reusable = fingerprint.equals(fingerprint(s));
            if (reusable) {
                c.setAutoCommit(false);
                // Replica mode skips foreign-key triggers, so tables empty in any order; superuser only.
                s.execute("SET LOCAL session_replication_role = replica");
                s.execute(emptyTables);
                s.execute(RESTART_SEQUENCES);
                c.commit();
            }
        } catch (SQLException e) {
            reusable = false;
        }
        if (reusable) {
            synchronized (MigratedPostgres.class) {
                FREE.push(database);
            }
        } else {
            drop(database);
        }
    }

    /** Copies the template (migrating it first if this JVM has none yet). Call with the class lock held. */
    private static String copy() {
        if (template == null) {
            template = migrateTemplate();
        }
        String database = name("rk_db_");
        admin("CREATE DATABASE " + database + " TEMPLATE " + template);
        OWNED.add(database);
        return database;
    }

    private static String migrateTemplate() {
        dropStale();
        String name = name("rk_tpl_");
        admin("CREATE DATABASE " + name);
        Runtime.getRuntime().addShutdownHook(new Thread(MigratedPostgres::dropAll, "drop-test-databases"));
        try {
            TestDatabases.migrate(TestDatabases.postgresFactory(url(name)));
            try (Connection c = TestDatabases.adminConnection(url(name)); Statement s = c.createStatement()) {
                fingerprint = fingerprint(s);
                List<String> tables = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("SELECT quote_ident(tablename) FROM pg_tables "
                        + "WHERE schemaname = 'public' AND tablename NOT LIKE 'databasechangelog%' ORDER BY 1")) {
                    while (rs.next()) {
                        tables.add(rs.getString(1));
                    }
                }
                // The audit chain's one row stays, back at the start of an empty chain.
                emptyTables = tables.stream().filter(t -> !t.equals("audit_chain")).map(t -> "DELETE FROM " + t)
                        .collect(Collectors.joining("; ")) + "; UPDATE audit_chain SET head_seq = 0, head_hash = '"
                        + "0".repeat(64) + "', legacy_until_id = 0";
            }
        } catch (Exception e) {
            admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            throw new IllegalStateException("cannot migrate the PostgreSQL template database: " + e.getMessage(), e);
        }
        // Nobody connects to the template again: CREATE DATABASE … TEMPLATE refuses a template in use.
        admin("ALTER DATABASE " + name + " WITH ALLOW_CONNECTIONS false");
        OWNED.add(name);
        return name;
    }

    private static String fingerprint(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery(FINGERPRINT)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void drop(String database) {
        if (!OURS.matcher(database).matches()) {
            throw new IllegalArgumentException("not a test database: " + database);
        }
        try {
            admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } finally {
            OWNED.remove(database);
        }
    }

    private static void dropAll() {
        for (String database : List.copyOf(OWNED)) {
            try {
                drop(database);
            } catch (RuntimeException e) {
                System.err.println("could not drop test database " + database + ": " + e.getMessage());
            }
        }
    }

    private static void admin(String sql) {
        try (Connection c = TestDatabases.adminConnection(TestDatabases.pgUrl()); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed in " + TestDatabases.pgUrl() + ": " + e.getMessage(), e);
        }
    }

    /** The test URL with {@code database} in place of the test database. */
    private static String url(String database) {
        Matcher m = URL.matcher(TestDatabases.pgUrl());
        if (!m.matches()) {
            throw new IllegalStateException("cannot name a database in " + TestDatabases.pgUrl());
        }
        return m.group(1) + database + (m.group(3) == null ? "" : m.group(3));
    }

    /** {@code prefix}, the time in seconds (8 hex digits), and 8 random hex digits. */
    private static String name(String prefix) {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return prefix + String.format("%08x", Instant.now().getEpochSecond()) + HexFormat.of().formatHex(b);
    }

    /**
     * Drops test databases made more than a day ago: what a JVM left when it was killed, or halted
     * before its shutdown hook had dropped everything. Younger ones may belong to a run going on now.
     */
    private static void dropStale() {
        long dayAgo = Instant.now().minus(Duration.ofDays(1)).getEpochSecond();
        List<String> stale = new ArrayList<>();
        try (Connection c = TestDatabases.adminConnection(TestDatabases.pgUrl()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT datname FROM pg_database WHERE datname ~ '^rk_(tpl|db)_[0-9a-f]{16}$'")) {
            while (rs.next()) {
                String name = rs.getString(1);
                if (Long.parseLong(name.substring(name.length() - 16, name.length() - 8), 16) < dayAgo) {
                    stale.add(name);
                }
            }
        } catch (SQLException e) {
            return;
        }
        for (String name : stale) {
            try {
                admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } catch (RuntimeException e) {
                // Another run is dropping it, or it is in use: leave it to the next sweep.
            }
        }
    }
}
