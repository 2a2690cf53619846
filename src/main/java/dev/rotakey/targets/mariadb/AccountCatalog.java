package dev.rotakey.targets.mariadb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The SQL a mariadb-user target runs against the server's accounts, and the quoting that keeps any user, host or
 * role name one string literal. MariaDB takes account and role names as string literals ({@code 'user'@'host'});
 * doubling single quotes is the one escape that means the same whatever {@code sql_mode} says, so names with a
 * backslash are refused before they get here (see {@link UserBinding}).
 */
final class AccountCatalog {
    /** ER_TABLEACCESS_DENIED_ERROR: the admin may not read a table. */
    static final int TABLE_ACCESS_DENIED = 1142;
    /** ER_NO_SUCH_TABLE: a server older than 10.4, which has no {@code mysql.global_priv}. */
    static final int NO_SUCH_TABLE = 1146;

    private AccountCatalog() {
    }

    /** Creates the account if missing, locked and without a password, so that it is of no use until a version arrives. */
    static void ensureUser(Connection c, String user, String host) throws SQLException {
        execute(c, "CREATE USER IF NOT EXISTS " + account(user, host) + " ACCOUNT LOCK");
    }

    /** Creates the role if missing; its creator is granted it WITH ADMIN OPTION, which lets it grant the role on. */
    static void ensureRole(Connection c, String role) throws SQLException {
        execute(c, "CREATE ROLE IF NOT EXISTS " + quote(role));
    }

    /** Grants the role to the account (again: harmless). Needs the role WITH ADMIN OPTION, whoever the admin is. */
    static void grantRole(Connection c, String role, String user, String host) throws SQLException {
        execute(c, "GRANT " + quote(role) + " TO " + account(user, host));
    }

    /** Makes the role the account's default, active at every login. Needs UPDATE on the {@code mysql} database. */
    static void setDefaultRole(Connection c, String role, String user, String host) throws SQLException {
        execute(c, "SET DEFAULT ROLE " + quote(role) + " FOR " + account(user, host));
    }

    /** The same, on a session of the account itself, which needs no privilege at all. */
    static void setOwnDefaultRole(Connection c, String role) throws SQLException {
        execute(c, "SET DEFAULT ROLE " + quote(role));
    }

    /**
     * {@code ALTER USER … IDENTIFIED BY PASSWORD '<hash>' ACCOUNT UNLOCK} (or {@code LOCK}): the statement carries a
     * native hash, never a password, and its text must not be shown all the same.
     */
    static void setHash(Connection c, String user, String host, String hash, boolean lock) throws SQLException {
        if (!NativePassword.isHash(hash)) {
            throw new IllegalArgumentException("not a native password hash");
        }
        execute(c, "ALTER USER " + account(user, host) + " IDENTIFIED BY PASSWORD " + quote(hash)
                + (lock ? " ACCOUNT LOCK" : " ACCOUNT UNLOCK"));
    }

    /**
     * The account's stored authentication string (the native hash, for accounts Rotakey set), "" when it has none, null
     * when the account does not exist. Reads {@code mysql.global_priv}, or the {@code mysql.user} view where only that
     * may be read; the admin needs SELECT on one of them.
     */
    static String storedHash(Connection c, String user, String host) throws SQLException {
        try {
            return single(c, "SELECT IFNULL(JSON_VALUE(Priv, '$.authentication_string'), '') FROM mysql.global_priv "
                    + "WHERE User = ? AND Host = ?", user, host);
        } catch (SQLException e) {
            if (e.getErrorCode() != TABLE_ACCESS_DENIED && e.getErrorCode() != NO_SUCH_TABLE) {
                throw e;
            }
            try {
                return single(c, "SELECT authentication_string FROM mysql.user WHERE User = ? AND Host = ?", user, host);
            } catch (SQLException viewDenied) {
                // The first refusal says what to grant.
                e.addSuppressed(viewDenied);
                throw e;
            }
        }
    }

    private static String single(Connection c, String sql, String user, String host) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, user);
            s.setString(2, host);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                String value = r.getString(1);
                return value == null ? "" : value;
            }
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** {@code 'user'@'host'}. */
    static String account(String user, String host) {
        return quote(user) + "@" + quote(host);
    }

    /** A string literal: single quotes doubled; a backslash or NUL, whose meaning depends on the server, is refused. */
    static String quote(String value) {
        if (value.indexOf('\\') >= 0 || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("literal with a backslash or NUL");
        }
        return "'" + value.replace("'", "''") + "'";
    }
}
