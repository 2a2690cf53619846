package dev.rotakey.e2e;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.RotakeyApplication;
import dev.rotakey.db.Migrations;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestDatabases;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.testing.ConfigOverride;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Rolling upgrades on the machine's PostgreSQL, with {@code database.migrateOnStart: false} as in the production
 * example: a node of this release keeps working — a rotation end to end, verification, listings — on a schema a
 * newer release expanded ({@code db/newer-release-expand.xml}: a new table, nullable and defaulted columns on the
 * busiest tables), and it refuses to start, naming the key and the command, while a migration of its own is missing.
 */
class RollingUpgradeIT {
    private static final String NEWER_RELEASE = "db/newer-release-expand.xml";

    @TempDir
    Path dir;

    DataSourceFactory database;
    RunningDaemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
        if (database != null) {
            TestDatabases.cleanup(database);
        }
    }

    private RunningDaemon node() {
        return node(true);
    }

    /** A daemon on the test database, with small pools: the machine's PostgreSQL is shared with other tests. */
    private RunningDaemon node(boolean clusterStyle) {
        List<ConfigOverride> overrides = new ArrayList<>(List.of(ConfigOverride.config("database.initialSize", "1"),
                ConfigOverride.config("database.minSize", "1"), ConfigOverride.config("database.maxSize", "8")));
        if (clusterStyle) {
            overrides.add(ConfigOverride.config("database.migrateOnStart", "false"));
        }
        return new RunningDaemon(dir.resolve("data"), database.getUrl(), SoftHsmTokens.APP, RunningDaemon.uniqueName("upgrade"),
                overrides.toArray(ConfigOverride[]::new));
    }

    @Test
    void aNodeOfThisReleaseKeepsRotatingOnASchemaANewerReleaseExpanded() throws Exception {
        database = TestDatabases.postgres();
        TestDatabases.migrate(database);
        applyNewerRelease();
        ManagedDataSource ds = database.build(new MetricRegistry(), "upgrade-test");
        try {
            ds.start();
            assertThat(Migrations.unapplied(ds)).isEmpty();
        } finally {
            ds.stop();
        }

        daemon = node();
        assertThat(daemon.send(java.net.http.HttpRequest.newBuilder(daemon.app("/health/ready")).GET(), null).status())
                .isEqualTo(200);

        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"old-node-agent\",\"owner\":\"ops@example.com\"}").status())
                .isEqualTo(201);
        RunningDaemon.Answer created = daemon.post("/api/v1/credentials", "{\"id\":\"old-node-key\",\"agent\":\"old-node-agent\","
                + "\"type\":\"api-key\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"old-node/key\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String key1 = daemon.delivered("old-node/key");
        assertThat(verify(key1).path("valid").asBoolean()).isTrue();

        // The newer release uses its columns and table meanwhile; this node must not mind.
        sql("UPDATE agents SET newer_note = 'written by a newer node', newer_weight = 9");
        sql("UPDATE credentials SET newer_note = 'written by a newer node'");
        sql("INSERT INTO newer_release_notes (credential_id, note) VALUES ('old-node-key', 'hello from the future')");

        RunningDaemon.Answer rotate = daemon.task("/tasks/rotate?credential=old-node-key");
        assertThat(rotate.status()).as(rotate.body()).isEqualTo(200);
        String rotation = rotate.json().path("rotations").get(0).path("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                !daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText().equals("RUNNING"));
        assertThat(daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText()).isEqualTo("SUCCEEDED");
        String key2 = daemon.delivered("old-node/key");
        assertThat(key2).isNotEqualTo(key1).startsWith("rk_");
        JsonNode v2 = verify(key2);
        assertThat(v2.path("valid").asBoolean()).isTrue();
        assertThat(v2.path("state").asText()).isEqualTo("CURRENT");
        assertThat(verify(key1).path("state").asText()).isEqualTo("PREVIOUS");

        assertThat(daemon.get("/api/v1/agents").body()).contains("old-node-agent");
        assertThat(daemon.get("/api/v1/agents/old-node-agent").status()).isEqualTo(200);
        JsonNode credential = daemon.get("/api/v1/credentials/old-node-key").json();
        assertThat(credential.path("currentVersion").asInt()).isEqualTo(2);
        assertThat(daemon.get("/api/v1/credentials?agent=old-node-agent").body()).contains("old-node-key");
        assertThat(daemon.get("/api/v1/credentials/old-node-key/rotations").body()).contains(rotation);
        RunningDaemon.Answer audit = daemon.get("/api/v1/audit?subject=credential:old-node-key&limit=100");
        assertThat(audit.status()).isEqualTo(200);
        assertThat(audit.json().path("events").size()).isPositive();

        // The rows this node wrote without naming the new columns got the newer release's defaults.
        for (String table : List.of("agents", "credentials", "credential_versions", "rotations", "audit_events")) {
            assertThat(query("SELECT count(*) FROM " + table + " WHERE newer_origin <> 'newer-release'")).as(table).isZero();
            assertThat(query("SELECT count(*) FROM " + table)).as(table).isPositive();
        }
        assertThat(query("SELECT count(*) FROM credential_versions WHERE newer_weight = 7")).isEqualTo(2);
        assertThat(query("SELECT count(*) FROM agents WHERE newer_weight = 9")).as("this node's updates keep the newer node's values")
                .isEqualTo(1);
    }

    @Test
    void aNodeWhoseMigrationsAreMissingRefusesToStartNamingTheKeyAndTheCommand() throws Exception {
        database = TestDatabases.postgres();
        TestDatabases.migrate(database);
        // The database is one release behind this node: its last migration is not applied.
        String last = queryText("SELECT id FROM databasechangelog ORDER BY orderexecuted DESC LIMIT 1");
        sql("DELETE FROM databasechangelog WHERE id = '" + last + "'");

        assertThatThrownBy(this::node)
                .hasMessageContaining("database.migrateOnStart")
                .hasMessageContaining("java -jar rotakey.jar db migrate <config>")
                .hasMessageContaining(last + "::rotakey");

        // An empty database as well, and the check itself creates nothing in it.
        TestDatabases.cleanup(database);
        database = TestDatabases.postgres();
        assertThatThrownBy(this::node).hasMessageContaining("database.migrateOnStart").hasMessageContaining("…");
        assertThat(query("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")).isZero();
    }

    @Test
    void theDbMigrateCommandIsTheStepANodeThatDoesNotMigrateWaitsFor() throws Exception {
        database = TestDatabases.postgres();
        assertThatThrownBy(this::node).hasMessageContaining("database.migrateOnStart");

        // The operator's step, through the daemon's own command line: `rotakey.jar db migrate CONFIG`.
        Path config = Files.writeString(dir.resolve("migrate.yml"), "dataDir: " + dir.resolve("cli-data") + "\n"
                + "database:\n  driverClass: org.postgresql.Driver\n  url: \"" + database.getUrl() + "\"\n"
                + "  user: " + TestDatabases.PG_USER + "\n  migrateOnStart: false\n"
                + "keyBackends:\n  hsm:\n    type: pkcs11\n    library: " + SoftHsmTokens.library() + "\n"
                + "    tokenLabel: " + SoftHsmTokens.APP + "\n    pin:\n      file: " + SoftHsmTokens.pinFile() + "\n"
                + "logging:\n  level: INFO\n");
        new RotakeyApplication() {
            @Override
            protected void onFatalError(Throwable t) {
                throw new AssertionError("db migrate failed", t);
            }
        }.run("db", "migrate", config.toString());

        daemon = node();
        assertThat(daemon.get("/api/v1/status").status()).isEqualTo(200);
        assertThat(daemon.send(java.net.http.HttpRequest.newBuilder(daemon.app("/health/ready")).GET(), null).status())
                .isEqualTo(200);
    }

    @Test
    void changesetsOfANewerReleaseDoNotStopANodeThatMigratesAtStartEither() throws Exception {
        database = TestDatabases.postgres();
        TestDatabases.migrate(database);
        applyNewerRelease();
        daemon = node(false);
        assertThat(daemon.get("/api/v1/status").status()).isEqualTo(200);
        assertThat(query("SELECT count(*) FROM databasechangelog WHERE author = 'a-newer-release'")).isEqualTo(2);
    }

    private JsonNode verify(String key) {
        RunningDaemon.Answer a = daemon.post("/api/v1/api-keys/verify", "{\"key\":\"" + key + "\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return a.json();
    }

    /** Runs the newer release's expand changelog, as its `db migrate` would. */
    @SuppressWarnings("deprecation")
    private void applyNewerRelease() throws Exception {
        try (Connection c = connection()) {
            Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
            new Liquibase(NEWER_RELEASE, new ClassLoaderResourceAccessor(), db).update(new Contexts(), new LabelExpression());
        }
    }

    private Connection connection() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", TestDatabases.PG_USER);
        return DriverManager.getConnection(database.getUrl(), p);
    }

    private void sql(String sql) throws SQLException {
        try (Connection c = connection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private long query(String sql) throws SQLException {
        return Long.parseLong(queryText(sql));
    }

    private String queryText(String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        assertThat(values).as(sql).hasSize(1);
        return values.get(0);
    }
}
