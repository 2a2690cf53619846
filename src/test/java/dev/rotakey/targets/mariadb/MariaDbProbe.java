package dev.rotakey.targets.mariadb;

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
 * The tests' own view of the machine's real MariaDB (127.0.0.1:3306, database {@code test}, {@code root} with an empty
 * password over TCP, as {@code scripts/lib/common.sh} sets it up): logs in as agents would, reads stored hashes, and
 * drops the throw-away users and roles of a test. MariaDB always checks passwords, so a login proves one.
 */
public final class MariaDbProbe implements AutoCloseable {
    public static final String URL = "jdbc:mariadb://127.0.0.1:3306/test";
    /** Where agents log in: no database, which a fresh account has no privilege on. */
    private static final String LOGIN_URL = "jdbc:mariadb://127.0.0.1:3306/";
    public static final String ADMIN = "root";
    private final List<String> users = new ArrayList<>();
    private final List<String> roles = new ArrayList<>();

    /** A fresh user name ({@code rk_<8 hex>}, or with {@code prefix}); it and its {@code _a}/{@code _b} at '%' and at
     * '127.0.0.1', and a role of that name, are dropped by {@link #close()}. */
    public String newUser(String prefix) {
        String user = prefix + UUID.randomUUID().toString().substring(0, 8);
        users.add(user);
        return user;
    }

    public String newUser() {
        return newUser("rk_");
    }

    /** A fresh role name, dropped by {@link #close()}. */
    public String newRole() {
        String role = "rk_role_" + UUID.randomUUID().toString().substring(0, 8);
        roles.add(role);
        return role;
    }

    /** Whether a fresh connection logs in as {@code user} with {@code password}; false when refused or locked. */
    public static boolean logsIn(String user, String password) {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "2000");
        try (Connection c = DriverManager.getConnection(LOGIN_URL, p); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT 1")) {
            return r.next();
        } catch (SQLException e) {
            if (e.getErrorCode() == 1045 || e.getErrorCode() == 4151) {
                return false;
            }
            throw new IllegalStateException("MariaDB at " + LOGIN_URL + " failed: " + e.getErrorCode() + " " + e.getSQLState(), e);
        }
    }

    /** What {@code SELECT … FROM the user's own session} answers, logged in with {@code password}: e.g. CURRENT_ROLE(). */
    public static String askAs(String user, String password, String sql) {
        try (Connection c = DriverManager.getConnection(LOGIN_URL, user, password); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the account stores the native hash of {@code password}. */
    public static boolean storedPasswordIs(String user, String host, String password) {
        String stored = query("SELECT JSON_VALUE(Priv, '$.authentication_string') FROM mysql.global_priv WHERE User = ? AND Host = ?",
                user, host);
        return stored != null && stored.equals(query("SELECT PASSWORD(?)", password));
    }

    /** Both: a fresh login and the stored hash, of the account at host '%'. */
    public static boolean works(String user, String password) {
        return logsIn(user, password) && storedPasswordIs(user, "%", password);
    }

    public static boolean isLocked(String user, String host) {
        return "true".equals(query("SELECT JSON_EXTRACT(Priv, '$.account_locked') FROM mysql.global_priv WHERE User = ? AND Host = ?",
                user, host));
    }

    public static boolean exists(String user, String host) {
        return query("SELECT User FROM mysql.global_priv WHERE User = ? AND Host = ?", user, host) != null;
    }

    public static boolean roleExists(String role) {
        return query("SELECT User FROM mysql.global_priv WHERE User = ? AND Host = '' "
                + "AND JSON_EXTRACT(Priv, '$.is_role') = 'true'", role) != null;
    }

    /** Whether {@code role} is granted to {@code user}@'%'. */
    public static boolean hasRole(String user, String role) {
        return query("SELECT Role FROM mysql.roles_mapping WHERE User = ? AND Host = '%' AND Role = ?", user, role) != null;
    }

    public static String defaultRole(String user) {
        return query("SELECT JSON_VALUE(Priv, '$.default_role') FROM mysql.global_priv WHERE User = ? AND Host = '%'", user);
    }

    public static Connection admin() throws SQLException {
        return DriverManager.getConnection(URL, ADMIN, "");
    }

    static String query(String sql, String... args) {
        try (Connection c = admin(); PreparedStatement s = c.prepareStatement(sql)) {
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

    /** Runs statements as root (names quoted by the caller with {@link AccountCatalog#quote}). */
    public static void execute(String... sql) {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A loopback port nothing listens on: a MariaDB that is down. */
    public static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public static MariaDbUserTargetFactory factory(String url) {
        MariaDbUserTargetFactory f = new MariaDbUserTargetFactory();
        f.setUrl(url);
        f.setUser(ADMIN);
        f.setConnectTimeout(Duration.seconds(1));
        f.setCommandTimeout(Duration.seconds(5));
        return f;
    }

    public static MariaDbUserTargetFactory factory() {
        return factory(URL);
    }

    /** Drops every user and role named with {@code prefix} (the fault model's, whose names it does not list). */
    public static void dropAllStartingWith(String prefix) {
        try (Connection c = admin(); PreparedStatement s = c.prepareStatement(
                "SELECT User, Host FROM mysql.global_priv WHERE User LIKE CONCAT(?, '%')")) {
            s.setString(1, prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%"));
            List<String> drops = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    drops.add(r.getString(2).isEmpty() ? "DROP ROLE IF EXISTS " + AccountCatalog.quote(r.getString(1))
                            : "DROP USER IF EXISTS " + AccountCatalog.account(r.getString(1), r.getString(2)));
                }
            }
            try (Statement st = c.createStatement()) {
                for (String drop : drops) {
                    st.execute(drop);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            for (String user : users) {
                for (String u : List.of(user + "_a", user + "_b", user)) {
                    for (String host : List.of("%", "127.0.0.1")) {
                        s.execute("DROP USER IF EXISTS " + AccountCatalog.account(u, host));
                    }
                }
                s.execute("DROP ROLE IF EXISTS " + AccountCatalog.quote(user));
            }
            for (String role : roles) {
                s.execute("DROP ROLE IF EXISTS " + AccountCatalog.quote(role));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
