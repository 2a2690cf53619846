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
import java.util.List;

/**
 * Applies Rotakey's Liquibase changelog ({@value #CHANGELOG}: Rotakey's tables and Quartz's job
 * store) to a database, or says which of its changesets a database lacks. Used at start-up and by tests;
 * already applied changesets are skipped.
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
            liquibase(c).update(new Contexts(), new LabelExpression());
        }
    }

    /**
     * The changesets of this release's changelog that the database behind {@code dataSource} has not applied,
     * as {@code id::author}, in changelog order; changes nothing (not even Liquibase's own tables). Changesets
     * the database has and this release does not know (a newer release migrated it) are not a concern here.
     *
     * @throws SQLException when no connection can be had
     * @throws LiquibaseException when the changelog or the database's history cannot be read
     */
    public static List<String> unapplied(DataSource dataSource) throws SQLException, LiquibaseException {
        try (Connection c = dataSource.getConnection()) {
            return liquibase(c).listUnrunChangeSets(new Contexts(), new LabelExpression(), false).stream()
                    .map(cs -> cs.getId() + "::" + cs.getAuthor()).toList();
        }
    }

    @SuppressWarnings("deprecation")
    private static Liquibase liquibase(Connection c) throws LiquibaseException {
        Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
        return new Liquibase(CHANGELOG, new ClassLoaderResourceAccessor(), db);
    }
}
