package dev.rotakey.targets.mariadb;

import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.TargetException;
import org.mariadb.jdbc.Configuration;
import org.mariadb.jdbc.Driver;
import org.mariadb.jdbc.HostAddress;
import org.mariadb.jdbc.export.SslMode;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Arrays;
import java.util.Set;

/**
 * The MariaDB server a mariadb-user target changes: opens its admin and login connections through Connector/J with the
 * configured timeouts, and turns the driver's {@link SQLException}s into {@link TargetException}s that say whether a
 * retry may pass and never echo a statement that carries a password hash.
 */
final class MariaDbServer implements AutoCloseable {
    /**
     * Server errors a retry may get past: too many connections (for the server, for the user, in the hour), lock waits,
     * deadlocks, a server shutting down, a killed connection or query.
     */
    private static final Set<Integer> RETRYABLE_ERRORS = Set.of(1040, 1203, 1226, 1205, 1213, 1053, 1927, 1317);
    /** Privileges the admin lacks: on a database, on a table, a global one. */
    static final Set<Integer> PRIVILEGE_ERRORS = Set.of(1044, 1142, 1227);
    /** Access denied at login (wrong user or password; ER_ACCESS_DENIED_ERROR). */
    static final int LOGIN_REFUSED = 1045;
    /**
     * ER_ACCESS_DENIED_NO_PASSWORD_ERROR: a login the server could not authenticate (unix_socket over TCP), or a role
     * granted by a user that does not hold it WITH ADMIN OPTION.
     */
    static final int ACCESS_DENIED = 1698;
    /** ER_ACCOUNT_HAS_BEEN_LOCKED. */
    static final int ACCOUNT_LOCKED = 4151;

    private final String target;
    private final String url;
    private final Configuration configuration;
    private final String adminUser;
    private final char[] adminPassword;
    private final int connectTimeoutMillis;
    private final int socketTimeoutMillis;

    /** Work on an open connection; its {@link SQLException} becomes a {@link TargetException}. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    /** Work on an admin connection. */
    @FunctionalInterface
    interface AdminWork<T> {
        T run(Connection admin) throws SQLException;
    }

    /**
     * @param adminPassword owned by this object from now on, or null when the server lets the admin in without one
     * @throws IllegalArgumentException when Connector/J cannot read {@code url}
     */
    MariaDbServer(String target, String url, String adminUser, char[] adminPassword, int connectTimeoutMillis,
                  int socketTimeoutMillis) {
        this.target = target;
        this.url = url;
        try {
            this.configuration = Configuration.parse(url);
        } catch (SQLException e) {
            // Connector/J's message may quote the URL, which a careless config might give a password.
            throw new IllegalArgumentException("target '" + target + "': Connector/J cannot read the url " + redacted(url));
        }
        if (configuration == null || configuration.addresses().isEmpty()) {
            throw new IllegalArgumentException("target '" + target + "': not a jdbc:mariadb: url with a host: " + redacted(url));
        }
        this.adminUser = adminUser;
        this.adminPassword = adminPassword;
        this.connectTimeoutMillis = Math.max(1, connectTimeoutMillis);
        this.socketTimeoutMillis = Math.max(1, socketTimeoutMillis);
    }

    /** The server a consumer connects to: the URL's first host (as Connector/J parses it), port and database. */
    Endpoint endpoint() {
        HostAddress first = configuration.addresses().get(0);
        String database = configuration.database();
        return new Endpoint("mariadb", first.host, first.port, database == null || database.isEmpty() ? null : database,
                configuration.sslMode() != SslMode.DISABLE);
    }

    String adminUser() {
        return adminUser;
    }

    /** A fresh auto-commit connection as the administrative user. */
    Connection admin(String action) {
        try {
            Connection c = Driver.connect(configuration(adminUser, adminPassword == null ? null : adminPassword.clone(), true));
            c.setAutoCommit(true);
            return c;
        } catch (SQLException e) {
            throw failure(action + " (as admin user '" + adminUser + "')", e, true);
        }
    }

    /**
     * A fresh connection as {@code user} with {@code password}, which is zeroed, allowing the native password method
     * only: a server that asks for the password in clear text is refused rather than told it.
     */
    Connection login(String user, char[] password) throws SQLException {
        return Driver.connect(configuration(user, password, false));
    }

    private Configuration configuration(String user, char[] password, boolean admin) throws SQLException {
        Configuration.Builder b = configuration.toBuilder().user(user).connectTimeout(connectTimeoutMillis)
                .socketTimeout(socketTimeoutMillis);
        if (password != null) {
            // Connector/J takes a String; unavoidable, and dropped with the Configuration.
            b.password(new String(password));
            Arrays.fill(password, '\0');
        } else {
            b.password(null);
        }
        // No database: neither the admin nor an agent's account needs a privilege on the URL's, which names where
        // consumers connect (the Endpoint).
        b.database(null);
        if (!admin) {
            b.restrictedAuth("mysql_native_password");
        }
        return b.build();
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

    /** Whether the failure is the server refusing the admin a privilege (rather than the account a login). */
    static boolean privilegeMissing(SQLException e) {
        return PRIVILEGE_ERRORS.contains(e.getErrorCode());
    }

    /**
     * Connection failures (SQLSTATE class 08, Connector/J's transient and recoverable exceptions), too many connections,
     * lock waits, deadlocks and a server going down may pass; refused logins, locked accounts, missing privileges and
     * the rest do not.
     *
     * @param echoSafe whether the server's message may be shown: never for statements that carry a hash
     */
    TargetException failure(String action, SQLException e, boolean echoSafe) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        int code = e.getErrorCode();
        boolean retryable = state.startsWith("08") || state.startsWith("40") || RETRYABLE_ERRORS.contains(code)
                || e instanceof SQLTransientException || e instanceof SQLRecoverableException;
        if (code == LOGIN_REFUSED || code == ACCESS_DENIED || code == ACCOUNT_LOCKED || privilegeMissing(e)) {
            retryable = false;
        }
        String hint;
        if (privilegeMissing(e)) {
            hint = ": the admin user lacks a privilege (it needs CREATE USER, and SELECT on mysql.global_priv to recognise "
                    + "versions)";
        } else if (code == LOGIN_REFUSED || state.startsWith("28")) {
            hint = ": the login was refused";
        } else if (code == ACCOUNT_LOCKED) {
            hint = ": the account is locked";
        } else {
            hint = "";
        }
        String detail = echoSafe && e.getMessage() != null ? e.getMessage() : "error " + code + ", SQLSTATE " + state;
        String message = "target '" + target + "': cannot " + action + " (" + detail + ")" + hint;
        // The driver's exception is kept as the cause only where its message is safe to show.
        return echoSafe ? new TargetException(message, retryable, e) : new TargetException(message, retryable);
    }

    /** The URL without its query string, where a careless config might carry a password. */
    private static String redacted(String url) {
        return url == null ? null : url.split("\\?", 2)[0];
    }

    @Override
    public void close() {
        if (adminPassword != null) {
            Arrays.fill(adminPassword, '\0');
        }
    }

    @Override
    public String toString() {
        return "url=" + redacted(url) + ", user=" + adminUser + ", password=" + (adminPassword == null ? "none" : "[redacted]");
    }
}
