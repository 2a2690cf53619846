package dev.rotakey.targets.postgres;

import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.TargetException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Properties;

/**
 * The PostgreSQL server a postgres-role target changes: opens its admin and login connections with the configured
 * timeouts, and turns the driver's {@link SQLException}s into {@link TargetException}s that say whether a retry may pass
 * and never echo a statement that carries a verifier.
 */
final class PostgresServer implements AutoCloseable {
    private final String target;
    private final String url;
    private final String adminUser;
    private final char[] adminPassword;
    private final int connectTimeoutSeconds;
    private final int socketTimeoutSeconds;

    /** Work on an open connection; its {@link SQLException} becomes a {@link TargetException}. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    /** @param adminPassword owned by this object from now on, or null when the server lets the admin in without one */
    PostgresServer(String target, String url, String adminUser, char[] adminPassword, int connectTimeoutSeconds,
                   int socketTimeoutSeconds) {
        this.target = target;
        this.url = url;
        this.adminUser = adminUser;
        this.adminPassword = adminPassword;
        this.connectTimeoutSeconds = Math.max(1, connectTimeoutSeconds);
        this.socketTimeoutSeconds = Math.max(1, socketTimeoutSeconds);
    }

    /**
     * The server a consumer connects to, from the JDBC URL (the first host of a multi-host URL), as the driver itself
     * parses it; null when the driver cannot.
     */
    Endpoint endpoint() {
        Properties parsed = org.postgresql.Driver.parseURL(url, new Properties());
        if (parsed == null) {
            return null;
        }
        String host = parsed.getProperty("PGHOST", "localhost").split(",", 2)[0];
        String port = parsed.getProperty("PGPORT", "5432").split(",", 2)[0];
        String database = parsed.getProperty("PGDBNAME");
        boolean tls = !"disable".equals(parsed.getProperty("sslmode", "disable"));
        return new Endpoint("postgresql", host, Integer.parseInt(port), database == null || database.isEmpty() ? null
                : database, tls);
    }

    String adminUser() {
        return adminUser;
    }

    /** A fresh auto-commit connection as the administrative role. */
    Connection admin(String action) {
        Properties props = properties(adminUser, adminPassword == null ? null : adminPassword.clone());
        try {
            Connection c = DriverManager.getConnection(url, props);
            c.setAutoCommit(true);
            return c;
        } catch (SQLException e) {
            throw failure(action + " (as admin role '" + adminUser + "')", e, true);
        } finally {
            props.clear();
        }
    }

    /** A fresh connection as {@code user} with {@code password}, which is zeroed. */
    Connection login(String user, char[] password) throws SQLException {
        Properties props = properties(user, password);
        try {
            return DriverManager.getConnection(url, props);
        } finally {
            props.clear();
        }
    }

    private Properties properties(String user, char[] password) {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null) {
            // The driver takes a String; unavoidable, and dropped with the Properties.
            props.setProperty("password", new String(password));
            Arrays.fill(password, '\0');
        }
        props.setProperty("connectTimeout", String.valueOf(connectTimeoutSeconds));
        props.setProperty("loginTimeout", String.valueOf(connectTimeoutSeconds));
        props.setProperty("socketTimeout", String.valueOf(socketTimeoutSeconds));
        props.setProperty("ApplicationName", "rotakey");
        return props;
    }

    /** Work on an admin connection. */
    @FunctionalInterface
    interface AdminWork<T> {
        T run(Connection admin) throws SQLException;
    }

    /** Runs {@code work} on an admin connection opened for {@code action}. */
    <T> T withAdmin(String action, AdminWork<T> work, boolean echoSafe) {
        try (Connection c = admin(action)) {
            return sql(action, () -> work.run(c), echoSafe);
        } catch (SQLException e) {
            throw failure(action, e, true);
        }
    }

    <T> T sql(String action, Work<T> work, boolean echoSafe) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw failure(action, e, echoSafe);
        }
    }

    /**
     * Connection failures (SQLSTATE class 08), a server starting or shutting down (57P0x), resource shortages (53)
     * and serialization failures (40) may pass; refused logins (28), missing privileges (42501) and the rest do not.
     *
     * @param echoSafe whether the server's message may be shown: never for statements that carry a verifier
     */
    TargetException failure(String action, SQLException e, boolean echoSafe) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        boolean retryable = state.startsWith("08") || state.startsWith("57P") || state.startsWith("53") || state.startsWith("40");
        String hint = switch (state) {
            case "42501" -> ": the admin role lacks the permission (it needs CREATEROLE, or superuser to check stored passwords)";
            case "28P01", "28000" -> ": the login was refused";
            default -> "";
        };
        String detail = echoSafe && e.getMessage() != null ? e.getMessage() : "SQLSTATE " + state;
        String message = "target '" + target + "': cannot " + action + " (" + detail + ")" + hint;
        // The driver's exception is kept as the cause only where its message is safe to show.
        return echoSafe ? new TargetException(message, retryable, e) : new TargetException(message, retryable);
    }

    @Override
    public void close() {
        if (adminPassword != null) {
            Arrays.fill(adminPassword, '\0');
        }
    }

    @Override
    public String toString() {
        // Query parameters are left out: a careless config might carry a password there.
        return "url=" + url.split("\\?", 2)[0] + ", user=" + adminUser + ", password="
                + (adminPassword == null ? "none" : "[redacted]");
    }
}
