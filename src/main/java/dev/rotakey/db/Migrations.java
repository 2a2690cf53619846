package dev.rotakey.db;

import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LiquibaseException;
import liquibase.resource.ClassLoaderResourceAccessor;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Applies Rotakey's Liquibase changelog ({@value #CHANGELOG}: Rotakey's tables and Quartz's job
 * store) to a database. Used at start-up and by tests; already applied changesets are skipped.
 */
public final class Migrations {
    public static final String CHANGELOG = "migrations.xml";

    static {
        quietLiquibase();
    }

    private Migrations() {
    }

    /** Liquibase 4.30+ would otherwise try to send usage analytics: Rotakey makes no outbound calls of its own. */
    public static void quietLiquibase() {
        System.setProperty("liquibase.analytics.enabled", "false");
        System.setProperty("liquibase.showBanner", "false");
    }

    /**
     * Brings the database behind {@code dataSource} up to date on one of its connections.
     *
     * @throws SQLException when no connection can be had
     * @throws LiquibaseException when a changeset fails
     */
    public static void apply(DataSource dataSource) throws SQLException, LiquibaseException {
        try (Connection c = dataSource.getConnection()) {
            Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
            @SuppressWarnings("deprecation")
            Liquibase liquibase = new Liquibase(CHANGELOG, new ClassLoaderResourceAccessor(), db);
            liquibase.update(new Contexts(), new LabelExpression());
        }
    }
}
