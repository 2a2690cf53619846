package dev.rotakey.db;

import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import io.dropwizard.db.DataSourceFactory;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.ui.LoggerUIService;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quartz.impl.jdbcjobstore.StdJDBCConstants;
import org.quartz.impl.jdbcjobstore.Util;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rotakey's Liquibase migrations on an empty H2 and PostgreSQL database: they apply, re-apply as a no-op, and create every table. */
class MigrationsIT {
    private static final List<String> ROTAKEY_TABLES = List.of("agents", "credentials", "credential_versions",
            "rotations", "rotation_steps", "deliveries", "audit_events", "api_tokens", "certificate_authorities",
            "issued_certificates", "certificate_revocation_lists", "target_references", "alerts", "binding_claims",
            "target_rate_slots", "batches", "batch_items", "audit_chain", "audit_checkpoints", "audit_stream_cursors");
    /** Every table of Quartz 2.5's JDBC job store. */
    private static final List<String> QUARTZ_TABLES = List.of("qrtz_job_details", "qrtz_triggers",
            "qrtz_simple_triggers", "qrtz_cron_triggers", "qrtz_simprop_triggers", "qrtz_blob_triggers",
            "qrtz_calendars", "qrtz_paused_trigger_grps", "qrtz_fired_triggers", "qrtz_scheduler_state", "qrtz_locks");

    @TempDir
    Path dir;
    private DataSourceFactory factory;

    @AfterEach
    void dropDatabase() {
        if (factory != null) {
            TestDatabases.cleanup(factory);
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void applyToAnEmptyDatabaseAndCreateRotakeysAndQuartzsTables(Engine engine) throws Exception {
        factory = engine.create(dir);
        assertThat(tables()).isEmpty();

        TestDatabases.migrate(factory);

        assertThat(tables()).containsAll(ROTAKEY_TABLES).containsAll(QUARTZ_TABLES)
                .contains("databasechangelog", "databasechangeloglock");
        List<String> expected = new ArrayList<>(List.of("1-agents", "2-credentials", "3-credential-versions",
                "4-rotations", "5-audit", "6-api-tokens"));
        expected.addAll(engine == Engine.H2 ? List.of("7-quartz-h2", "8-quartz-h2-indexes") : List.of("7-quartz-postgresql", "9-quartz-postgresql-numeric-fire-time"));
        expected.addAll(List.of("10-certificate-authorities", "11-certificate-credentials", "12-issued-certificates",
                "13-certificate-revocation-lists", "14-password-credentials", "15-target-references",
                "16-acknowledgements", "17-alerts", "18-binding-claims", "19-audit-node",
                "20-target-rate-slots", "21-operation-batches"));
        if (engine == Engine.POSTGRESQL) {
            expected.add("23-cache-notify");
        }
        expected.add("24-certificate-expiry-index");
        if (engine == Engine.H2) {
            expected.add("25-h2-text-not-clob");
        }
        expected.add("26-token-lifecycle");
        expected.add("27-audit-chain");
        if (engine == Engine.POSTGRESQL) {
            expected.add("28-ca-cache-notify");
        }
        expected.add("29-audit-streams");
        expected.add("30-governance");
        expected.add("31-posture-findings");
        expected.add("32-rotations-state-started");
        expected.add("33-credential-lifecycle");
        assertThat(queryStrings("SELECT id FROM databasechangelog ORDER BY orderexecuted"))
                .containsExactlyElementsOf(expected);
        // Quartz's trigger acquisition and misfire queries have their indexes on both engines.
        assertThat(indexes("qrtz_triggers")).contains("idx_qrtz_t_nft_st", "idx_qrtz_t_nft_st_misfire",
                "idx_qrtz_t_nft_st_misfire_grp", "idx_qrtz_t_j", "idx_qrtz_t_n_g_state");
        if (engine == Engine.POSTGRESQL) {
            // Quartz compares NEXT_FIRE_TIME with NUMERIC parameters: PostgreSQL needs indexes on that expression.
            assertThat(indexes("qrtz_triggers")).contains("idx_qrtz_t_nft_st_numeric", "idx_qrtz_t_nft_misfire_numeric");
        }
        assertThat(indexes("credential_versions")).contains("uq_versions_digest");
        assertThat(indexes("issued_certificates")).contains("idx_issued_unrevoked_expiry");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void areIdempotentOnASecondRun(Engine engine) throws Exception {
        factory = engine.create(dir);
        TestDatabases.migrate(factory);
        Set<String> before = tables();
        List<String> changelog = queryStrings("SELECT id || '/' || md5sum FROM databasechangelog ORDER BY orderexecuted");
        execute("INSERT INTO agents (id, owner, kind, attributes, status, created_at) "
                + "VALUES ('kept', 'team@example.org', 'PERSISTENT', '{}', 'ACTIVE', CURRENT_TIMESTAMP)");

        TestDatabases.migrate(factory);

        assertThat(tables()).isEqualTo(before);
        assertThat(queryStrings("SELECT id || '/' || md5sum FROM databasechangelog ORDER BY orderexecuted"))
                .isEqualTo(changelog);
        assertThat(queryStrings("SELECT id FROM agents")).containsExactly("kept");
        assertThat(queryLong("SELECT COUNT(*) FROM databasechangeloglock WHERE locked = TRUE")).isZero();
    }

    /**
     * No Rotakey column is a large object: H2 keeps each CLOB value it hands out referenced for minutes, which under
     * load filled the heap (docs/performance.md), and PostgreSQL's TEXT needs nothing else.
     */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void rotakeysTextColumnsAreNotLargeObjects(Engine engine) throws Exception {
        factory = engine.create(dir);
        TestDatabases.migrate(factory);

        List<String> lobs = new ArrayList<>();
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getColumns(null, null, "%", "%")) {
            while (rs.next()) {
                String table = rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                String type = rs.getString("TYPE_NAME").toUpperCase(Locale.ROOT);
                if (ROTAKEY_TABLES.contains(table) && (type.contains("CLOB") || type.contains("LARGE OBJECT"))) {
                    lobs.add(table + "." + rs.getString("COLUMN_NAME") + " " + type);
                }
            }
        }
        assertThat(lobs).isEmpty();
    }

    /** An H2 database made before the change keeps its values and its NOT NULL constraints when its CLOBs become text. */
    @Test
    @SuppressWarnings("deprecation")
    void anH2DatabaseKeepsItsTextWhenItsClobsBecomeText() throws Exception {
        factory = Engine.H2.create(dir);
        try (Connection c = connect()) {
            Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
            Liquibase liquibase = new Liquibase(Migrations.CHANGELOG, new ClassLoaderResourceAccessor(), db);
            List<String> unrun = liquibase.listUnrunChangeSets(new Contexts(), new LabelExpression()).stream()
                    .map(cs -> cs.getId()).toList();
            int before = unrun.indexOf("25-h2-text-not-clob");
            Scope.child(Scope.Attr.ui.name(), new LoggerUIService(),
                    () -> liquibase.update(before, new Contexts(), new LabelExpression()));
        }
        String attributes = "{\"team\":\"" + "x".repeat(10_000) + "\"}";
        try (Connection c = connect();
             PreparedStatement ps = c.prepareStatement("INSERT INTO agents (id, owner, kind, attributes, status, created_at) "
                     + "VALUES ('kept', 'team@example.org', 'PERSISTENT', ?, 'ACTIVE', CURRENT_TIMESTAMP)")) {
            ps.setString(1, attributes);
            ps.executeUpdate();
        }

        TestDatabases.migrate(factory);

        assertThat(queryStrings("SELECT attributes FROM agents")).containsExactly(attributes);
        assertThat(queryStrings("SELECT data_type FROM information_schema.columns "
                + "WHERE table_name = 'AGENTS' AND column_name = 'ATTRIBUTES'")).containsExactly("CHARACTER VARYING");
        assertThatThrownBy(() -> execute("INSERT INTO agents (id, owner, kind, attributes, status, created_at) "
                + "VALUES ('no-attributes', 'team@example.org', 'PERSISTENT', NULL, 'ACTIVE', CURRENT_TIMESTAMP)"))
                .isInstanceOf(SQLException.class);
    }

    /**
     * Quartz's own trigger-acquisition statement, with its parameters bound as Quartz binds them
     * (BigDecimal), over 5,000 waiting triggers: both engines bound the fire time in an index
     * instead of reading every trigger.
     */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void quartzsTriggerAcquisitionBoundsTheFireTimeInAnIndex(Engine engine) throws Exception {
        factory = engine.create(dir);
        TestDatabases.migrate(factory);
        long now = System.currentTimeMillis();
        String acquire = Util.rtp(StdJDBCConstants.SELECT_NEXT_TRIGGER_TO_ACQUIRE, "QRTZ_", "'rotakey'");

        String plan;
        try (Connection c = connect()) {
            insertWaitingTriggers(c, 5_000, now + 86_400_000L);
            if (engine == Engine.POSTGRESQL) {
                try (Statement s = c.createStatement()) {
                    s.execute("ANALYZE");
                }
            }
            try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + acquire)) {
                ps.setString(1, "WAITING");
                ps.setBigDecimal(2, BigDecimal.valueOf(now + 30_000));
                ps.setBigDecimal(3, BigDecimal.valueOf(now - 60_000));
                StringBuilder sb = new StringBuilder();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        sb.append(rs.getString(1)).append('\n');
                    }
                }
                plan = sb.toString().toLowerCase(Locale.ROOT);
            }
        }

        if (engine == Engine.POSTGRESQL) {
            // The NUMERIC comparison is an index condition, not a filter over every trigger of the state.
            assertThat(plan.lines().filter(l -> l.trim().startsWith("index cond:")))
                    .as(plan).anyMatch(l -> l.contains("(next_fire_time)::numeric <="));
            assertThat(plan).as(plan).doesNotContain("seq scan");
        } else {
            // H2 names the index it reads and the conditions it bounds it by in a comment.
            assertThat(plan).as(plan).containsPattern("/\\* public\\.idx_qrtz_t_[a-z_]+: [^*]*next_fire_time <=");
        }
    }

    private static void insertWaitingTriggers(Connection c, int n, long firstFireTime) throws Exception {
        try (PreparedStatement job = c.prepareStatement("INSERT INTO QRTZ_JOB_DETAILS (SCHED_NAME, JOB_NAME, "
                + "JOB_GROUP, JOB_CLASS_NAME, IS_DURABLE, IS_NONCONCURRENT, IS_UPDATE_DATA, REQUESTS_RECOVERY) "
                + "VALUES ('rotakey', 'rotate', 'rotate', 'dev.rotakey.schedule.RotakeyJob', ?, ?, ?, ?)")) {
            job.setBoolean(1, true);
            job.setBoolean(2, false);
            job.setBoolean(3, false);
            job.setBoolean(4, true);
            job.executeUpdate();
        }
        try (PreparedStatement t = c.prepareStatement("INSERT INTO QRTZ_TRIGGERS (SCHED_NAME, TRIGGER_NAME, "
                + "TRIGGER_GROUP, JOB_NAME, JOB_GROUP, NEXT_FIRE_TIME, PREV_FIRE_TIME, PRIORITY, TRIGGER_STATE, "
                + "TRIGGER_TYPE, START_TIME, MISFIRE_INSTR) VALUES ('rotakey', ?, 'rotate', 'rotate', 'rotate', ?, -1, 5, "
                + "'WAITING', 'SIMPLE', ?, 1)")) {
            for (int i = 0; i < n; i++) {
                t.setString(1, "cred-" + i);
                t.setLong(2, firstFireTime + i * 1_000L);
                t.setLong(3, firstFireTime + i * 1_000L);
                t.addBatch();
            }
            t.executeBatch();
        }
    }

    /** Index names of a table in the factory's own schema, lower case. */
    private Set<String> indexes(String table) throws Exception {
        try (Connection c = connect()) {
            String schema = TestDatabases.schemaOf(factory).orElse("PUBLIC");
            String name = TestDatabases.isPostgres(factory) ? table : table.toUpperCase(Locale.ROOT);
            Set<String> out = new TreeSet<>();
            try (ResultSet rs = c.getMetaData().getIndexInfo(null, schema, name, false, false)) {
                while (rs.next()) {
                    if (rs.getString("INDEX_NAME") != null) {
                        out.add(rs.getString("INDEX_NAME").toLowerCase(Locale.ROOT));
                    }
                }
            }
            return out;
        }
    }

    /** The tables in the factory's own schema (PUBLIC for H2, the test schema for PostgreSQL), lower case. */
    private Set<String> tables() throws Exception {
        try (Connection c = connect()) {
            DatabaseMetaData md = c.getMetaData();
            String schema = TestDatabases.schemaOf(factory).orElse("PUBLIC");
            Set<String> out = new TreeSet<>();
            try (ResultSet rs = md.getTables(null, schema, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    out.add(rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
                }
            }
            return out;
        }
    }

    private long queryLong(String sql) throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<String> queryStrings(String sql) throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }

    private void execute(String sql) throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** A plain driver connection, so that no pool outlives the test. */
    private Connection connect() throws Exception {
        return DriverManager.getConnection(factory.getUrl(), factory.getUser(), factory.getPassword());
    }
}
