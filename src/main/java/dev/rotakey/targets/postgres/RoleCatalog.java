package dev.rotakey.targets.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The SQL a postgres-role target runs against the server's role catalog, and the quoting that keeps any
 * role name one identifier and any verifier one literal.
 */
final class RoleCatalog {
    private RoleCatalog() {
    }

    /** Creates {@code role} if missing and, for a login role, makes it a member of {@code group}. */
    static void ensureRole(Connection c, String role, String attributes, String group) throws SQLException {
        if (!roleExists(c, role)) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE ROLE " + quoteIdentifier(role) + " WITH " + attributes);
            } catch (SQLException e) {
                // Created meanwhile by someone else: just as good.
                if (!"42710".equals(e.getSQLState())) {
                    throw e;
                }
            }
        }
        if (group != null && !isMember(c, role, group)) {
            try (Statement s = c.createStatement()) {
                s.execute("GRANT " + quoteIdentifier(group) + " TO " + quoteIdentifier(role));
            }
        }
    }

    /** {@code ALTER ROLE … PASSWORD '<verifier>'}: the statement text carries the verifier, never a password. */
    static void setVerifier(Connection c, String role, String loginAttribute, String verifier) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("ALTER ROLE " + quoteIdentifier(role) + " WITH " + loginAttribute + " PASSWORD " + quoteLiteral(verifier));
        }
    }

    /** {@code pg_authid.rolpassword} of {@code role}, null when it has none or does not exist; superusers only. */
    static String storedVerifier(Connection c, String role) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT rolpassword FROM pg_authid WHERE rolname = ?")) {
            s.setString(1, role);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    private static boolean roleExists(Connection c, String role) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            s.setString(1, role);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    private static boolean isMember(Connection c, String role, String group) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                + "JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = ? AND u.rolname = ?")) {
            s.setString(1, group);
            s.setString(2, role);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /** Double quotes doubled, the whole wrapped in double quotes: any role name becomes one identifier. */
    static String quoteIdentifier(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier with NUL");
        }
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /**
     * A standard string literal (single quotes doubled). Only verifiers reach here, and they hold no quote or
     * backslash; {@code E''} is not used, and a backslash is refused outright so that the literal means the same
     * whatever {@code standard_conforming_strings} says.
     */
    static String quoteLiteral(String value) {
        if (value.indexOf('\\') >= 0 || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("literal with a backslash or NUL");
        }
        return "'" + value.replace("'", "''") + "'";
    }
}
