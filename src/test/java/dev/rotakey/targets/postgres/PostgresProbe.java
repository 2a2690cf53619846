package dev.rotakey.targets.postgres;

import io.dropwizard.util.Duration;

import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * The tests' own view of the machine's real PostgreSQL (127.0.0.1:5432, database {@code test}, superuser
 * {@code postgres}, trust authentication): logs in as agents would, reads stored verifiers, and drops the
 * throw-away roles of a test.
 */
public final class PostgresProbe implements AutoCloseable {
    public static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
    public static final String ADMIN = "postgres";
    private final List<String> roles = new ArrayList<>();

    /** A fresh role name ({@code rk_<8 hex>}, or with {@code prefix}); it, its {@code _a}/{@code _b} are dropped by {@link #close()}. */
    public String newRole(String prefix) {
        String role = prefix + UUID.randomUUID().toString().substring(0, 8);
        roles.add(role);
        return role;
    }

    public String newRole() {
        return newRole("rk_");
    }

    /** Whether a fresh connection logs in as {@code role} with {@code password} (trust lets any password in). */
    public static boolean logsIn(String role, String password) {
        Properties p = new Properties();
        p.setProperty("user", role);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "2");
        try (Connection c = DriverManager.getConnection(URL, p); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT 1")) {
            return r.next();
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("28")) {
                return false;
            }
            throw new IllegalStateException("PostgreSQL at " + URL + " failed: " + e.getSQLState(), e);
        }
    }

    /** Whether the verifier stored for {@code role} accepts {@code password}: what proves it under trust. */
    public static boolean storedPasswordIs(String role, String password) {
        ScramVerifier v = ScramVerifier.parse(query("SELECT rolpassword FROM pg_authid WHERE rolname = ?", role));
        return v != null && v.accepts(password.toCharArray());
    }

    /** Both: a fresh login and the stored verifier. */
    public static boolean works(String role, String password) {
        return logsIn(role, password) && storedPasswordIs(role, password);
    }

    public static boolean canLogin(String role) {
        return "t".equals(query("SELECT CASE WHEN rolcanlogin THEN 't' ELSE 'f' END FROM pg_roles WHERE rolname = ?", role));
    }

    public static boolean exists(String role) {
        return query("SELECT rolname FROM pg_roles WHERE rolname = ?", role) != null;
    }

    public static boolean isMember(String role, String group) {
        return query("SELECT 'y' FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member "
                + "WHERE u.rolname = ? AND g.rolname = ?", role, group) != null;
    }

    static String query(String sql, String... args) {
        try (Connection c = DriverManager.getConnection(URL, ADMIN, null); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setString(i + 1, args[i]);
            }
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A loopback port nothing listens on: a PostgreSQL that is down. */
    public static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public static PostgresRoleTargetFactory factory(String url) {
        PostgresRoleTargetFactory f = new PostgresRoleTargetFactory();
        f.setUrl(url);
        f.setUser(ADMIN);
        f.setConnectTimeout(Duration.seconds(1));
        f.setCommandTimeout(Duration.seconds(5));
        return f;
    }

    public static PostgresRoleTargetFactory factory() {
        return factory(URL);
    }

    @Override
    public void close() {
        try (Connection c = DriverManager.getConnection(URL, ADMIN, null); Statement s = c.createStatement()) {
            for (String role : roles) {
                for (String r : List.of(role + "_a", role + "_b", role)) {
                    s.execute("DROP ROLE IF EXISTS " + RoleCatalog.quoteIdentifier(r));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
