package dev.rotakey.testing;

import com.codahale.metrics.MetricRegistry;
import dev.rotakey.db.Migrations;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import liquibase.Scope;
import liquibase.ui.LoggerUIService;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Databases for tests, on the two engines Rotakey supports: a file-mode H2 database under a
 * temporary directory, or a database in the machine's PostgreSQL (reached at
 * {@code $ROTAKEY_TEST_PG_URL}, user {@code postgres}, trust auth). {@link #open(Engine, Path)}
 * hands back a migrated database with a started pool, a {@code Jdbi} and a {@code Store} over it;
 * each engine is migrated once per JVM ({@link MigratedH2}, {@link MigratedPostgres}) and tests get
 * copies. {@link Engine#create} gives an empty database instead (a fresh schema on PostgreSQL),
 * for tests of the migrations themselves and for daemons that migrate at start-up. Migrations run
 * exactly as the application runs them ({@link Migrations#apply}). What a test used is dropped or
 * emptied by {@link #cleanup}, by {@link TestDatabase#close()}, and as a last resort when the JVM exits.
 */
public final class TestDatabases {
    public static final String PG_URL_ENV = "ROTAKEY_TEST_PG_URL";
    public static final String DEFAULT_PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    public static final String PG_USER = "postgres";

    private static final Pattern SCHEMA_NAME = Pattern.compile("rk_[0-9a-f]{16}");
    private static final Pattern CURRENT_SCHEMA = Pattern.compile("[?&]currentSchema=(rk_[0-9a-f]{16})(?:&|$)");
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Schemas created by this JVM and not dropped yet. */
    private static final Set<String> LIVE_SCHEMAS = ConcurrentHashMap.newKeySet();

    static {
        Migrations.quietLiquibase();
        // Liquibase's update summary goes to the (quiet) test log instead of standard output.
        System.setProperty("liquibase.command.showSummaryOutput", "LOG");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (String schema : List.copyOf(LIVE_SCHEMAS)) {
                try {
                    dropSchema(schema);
                } catch (RuntimeException e) {
                    System.err.println("could not drop test schema " + schema + ": " + e.getMessage());
                }
            }
        }, "drop-test-schemas"));
    }

    /** The engines tests run on; {@code @EnumSource(Engine.class)} runs a test on each. */
    public enum Engine {
        H2, POSTGRESQL;

        /** A new, empty database of this engine ({@code dir} is only used by H2). */
        public DataSourceFactory create(Path dir) {
            return this == H2 ? h2(dir) : postgres();
        }
    }

    private TestDatabases() {
    }

    /** A file-mode H2 database {@code <dir>/rotakey}, as the default configuration uses, with a 10 s lock timeout. */
    public static DataSourceFactory h2(Path dir) {
        DataSourceFactory f = new DataSourceFactory();
        f.setDriverClass("org.h2.Driver");
        // rotakey.test.h2Settings: extra settings for benchmarks, e.g. ";WRITE_DELAY=500" to measure what durability costs.
        f.setUrl("jdbc:h2:file:" + dir.toAbsolutePath().resolve("rotakey") + ";LOCK_TIMEOUT=10000"
                + System.getProperty("rotakey.test.h2Settings", ""));
        f.setUser("rotakey");
        f.setPassword("");
        return small(f);
    }

    /**
     * A new schema {@code rk_<16 hex>} in the test database and a factory whose connections use it
     * ({@code currentSchema=} in the URL), so that Rotakey's and Quartz's tables land there.
     * Fails, saying how to start PostgreSQL, when it does not answer.
     */
    public static DataSourceFactory postgres() {
        String schema = "rk_" + HexFormat.of().formatHex(randomBytes());
        try (Connection c = adminConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create schema " + schema + " in " + pgUrl() + ": " + e.getMessage(), e);
        }
        LIVE_SCHEMAS.add(schema);
        String base = pgUrl();
        return postgresFactory(base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema);
    }

    /** A test-sized factory for a PostgreSQL URL, as user {@code postgres}. */
    static DataSourceFactory postgresFactory(String url) {
        DataSourceFactory f = new DataSourceFactory();
        f.setDriverClass("org.postgresql.Driver");
        f.setUrl(url);
        f.setUser(PG_USER);
        f.setPassword("");
        return small(f);
    }

    /** The JDBC URL of the PostgreSQL test database, without a schema. */
    public static String pgUrl() {
        String env = System.getenv(PG_URL_ENV);
        return env == null || env.isBlank() ? DEFAULT_PG_URL : env.trim();
    }

    /** Whether the factory points at PostgreSQL; the same test the application makes. */
    public static boolean isPostgres(DataSourceFactory f) {
        return f.getUrl().startsWith("jdbc:postgresql:");
    }

    /** The schema {@link #postgres()} created for this factory; empty for H2. */
    public static Optional<String> schemaOf(DataSourceFactory f) {
        Matcher m = CURRENT_SCHEMA.matcher(f.getUrl());
        return isPostgres(f) && m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** Drops a schema made by {@link #postgres()} and everything in it. Idempotent. */
    public static void dropSchema(String schema) {
        if (!SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException("not a test schema: " + schema);
        }
        try (Connection c = adminConnection(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop schema " + schema + ": " + e.getMessage(), e);
        }
        LIVE_SCHEMAS.remove(schema);
    }

    /**
     * Removes what the factory's database left behind: drops its PostgreSQL schema, or empties a
     * migrated PostgreSQL database for the next test. For H2 there is nothing to do (the files live in
     * the test's temporary directory). Stop the pools first.
     */
    public static void cleanup(DataSourceFactory f) {
        schemaOf(f).ifPresent(TestDatabases::dropSchema);
        MigratedPostgres.databaseOf(f).ifPresent(MigratedPostgres::release);
    }

    /** Applies Rotakey's migrations the way the application does at start-up: on a short-lived pool of its own. */
    public static void migrate(DataSourceFactory f) throws Exception {
        ManagedDataSource ds = f.build(new MetricRegistry(), "rotakey-migrations");
        try {
            ds.start();
            // As the application does, but with Liquibase's console messages sent to the (quiet) test log.
            Scope.child(Scope.Attr.ui.name(), new LoggerUIService(), () -> Migrations.apply(ds));
        } finally {
            ds.stop();
        }
    }

    /** Migrates the database and opens a started pool, a {@code Jdbi} and a {@code Store} over it. */
    public static TestDatabase open(DataSourceFactory f) throws Exception {
        migrate(f);
        return new TestDatabase(f);
    }

    /**
     * A migrated database of {@code engine}, opened: a copy of one migrated once per JVM (H2: a file in
     * {@code dir}; PostgreSQL: a database of its own). Closing it stops its pools and empties or drops it.
     */
    public static TestDatabase open(Engine engine, Path dir) throws Exception {
        DataSourceFactory f;
        if (engine == Engine.H2) {
            MigratedH2.copyInto(dir);
            f = h2(dir);
        } else {
            f = MigratedPostgres.take();
        }
        try {
            return new TestDatabase(f);
        } catch (Exception | Error e) {
            cleanup(f);
            throw e;
        }
    }

    static Connection adminConnection() {
        return adminConnection(pgUrl());
    }

    /** A connection as user {@code postgres} to {@code url}, a database of the test cluster. */
    static Connection adminConnection(String url) {
        Properties p = new Properties();
        p.setProperty("user", PG_USER);
        p.setProperty("connectTimeout", "5");
        p.setProperty("loginTimeout", "10");
        try {
            return DriverManager.getConnection(url, p);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL does not answer at " + pgUrl() + " as user " + PG_USER + " ("
                    + e.getMessage() + "). Run ./scripts/test.sh, which installs and starts it, or set "
                    + PG_URL_ENV + " to a reachable test database.", e);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
    }

    /** Test-sized pools: a couple of idle connections, enough for a scheduler and concurrent transactions. */
    private static DataSourceFactory small(DataSourceFactory f) {
        f.setInitialSize(2);
        f.setMinSize(2);
        f.setMaxSize(24);
        return f;
    }
}
