package dev.rotakey.config;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Properties;

/**
 * The {@code database:} section: Dropwizard's data source settings, plus {@code passwordSecret}, the
 * database password from a {@link SecretSource} (a systemd credential in production) instead of a
 * literal {@code password}. The secret is read once, when the first pool is built. An embedded H2
 * database is made durable at every commit (docs/design.md, "Durability before effect"). {@code migrateOnStart}
 * says whether the daemon migrates the database as it starts or only checks that it has been migrated.
 */
public class DatabaseFactory extends DataSourceFactory {
    @Valid
    private SecretSource passwordSecret;

    private boolean secretRead;

    /**
     * Whether the daemon applies the changelog at start-up. False in a cluster: an operator runs {@code db migrate}
     * with the new release once, and nodes only check that nothing of theirs is missing.
     */
    private boolean migrateOnStart = true;

    @JsonProperty
    public boolean isMigrateOnStart() {
        return migrateOnStart;
    }

    @JsonProperty
    public void setMigrateOnStart(boolean migrateOnStart) {
        this.migrateOnStart = migrateOnStart;
    }

    @JsonProperty
    public SecretSource getPasswordSecret() {
        return passwordSecret;
    }

    @JsonProperty
    public void setPasswordSecret(SecretSource passwordSecret) {
        this.passwordSecret = passwordSecret;
    }

    @JsonIgnore
    @ValidationMethod(message = "database: give either password or passwordSecret, not both")
    public boolean isOnePasswordSource() {
        return passwordSecret == null || getPassword() == null || getPassword().isEmpty();
    }

    /**
     * Reads the secret before the first pool is built (migrations, the API, Quartz each build one).
     *
     * @throws SecretUnavailableException naming {@code database.passwordSecret} when it cannot be read
     */
    /**
     * H2 writes a commit to its file only after {@code WRITE_DELAY} (500 ms by default): a process killed in
     * that window comes back without commits whose effects (a delivered key) already reached a target.
     */
    @JsonIgnore
    @ValidationMethod(message = "database.url: an H2 database needs WRITE_DELAY=0 (or no WRITE_DELAY, which Rotakey "
            + "sets to 0): a rotation's effects must never reach a target before the commit they depend on is on disk")
    public boolean isDurableAtCommit() {
        return writeDelay(getUrl()) == null || "0".equals(writeDelay(getUrl()));
    }

    /**
     * {@code url}, with {@code WRITE_DELAY=0} added when it is an H2 file or TCP URL that sets none, and
     * {@code DB_CLOSE_ON_EXIT=FALSE}: H2's own shutdown hook would otherwise close the database while the daemon's
     * stop still writes to it (the audit chain's last checkpoint, the tokens' last uses); the pool closes it.
     */
    static String durableUrl(String url) {
        if (url == null || !url.startsWith("jdbc:h2:") || url.startsWith("jdbc:h2:mem:")) {
            return url;
        }
        String durable = setting(url, "WRITE_DELAY") != null ? url : url + ";WRITE_DELAY=0";
        return setting(durable, "DB_CLOSE_ON_EXIT") != null ? durable : durable + ";DB_CLOSE_ON_EXIT=FALSE";
    }

    private static String writeDelay(String url) {
        return setting(url, "WRITE_DELAY");
    }

    private static String setting(String url, String name) {
        if (url == null || !url.startsWith("jdbc:h2:")) {
            return null;
        }
        for (String setting : url.split(";")) {
            int eq = setting.indexOf('=');
            if (eq > 0 && setting.substring(0, eq).trim().equalsIgnoreCase(name)) {
                return setting.substring(eq + 1).trim();
            }
        }
        return null;
    }

    @Override
    public ManagedDataSource build(MetricRegistry metricRegistry, String name) {
        readSecret();
        return super.build(metricRegistry, name);
    }

    private synchronized void readSecret() {
        setUrl(durableUrl(getUrl()));
        if (passwordSecret != null && !secretRead) {
            char[] password = passwordSecret.read("database.passwordSecret");
            try {
                // The pool and the JDBC driver take the password as a String: it cannot be cleared later.
                setPassword(new String(password));
            } finally {
                Arrays.fill(password, '\0');
            }
            secretRead = true;
        }
    }

    /**
     * One new connection of these settings outside any pool, with {@code extra} driver properties: for a session
     * whose state must last as long as the connection (a LISTEN), which a pool would validate, replace or lend out.
     */
    public Connection openUnpooled(Properties extra) throws SQLException {
        readSecret();
        try {
            // Registers the driver with DriverManager, as the pools' own loading of it does.
            Class.forName(getDriverClass());
        } catch (ClassNotFoundException e) {
            throw new SQLException("JDBC driver " + getDriverClass() + " is not on the class path", e);
        }
        Properties properties = new Properties();
        properties.putAll(getProperties());
        if (getUser() != null) {
            properties.setProperty("user", getUser());
        }
        if (getPassword() != null) {
            properties.setProperty("password", getPassword());
        }
        properties.putAll(extra);
        return DriverManager.getConnection(getUrl(), properties);
    }

    /**
     * A pool of these settings holding at most {@code maxSize} connections and opening one at start: Quartz's own
     * pool needs its worker threads plus a few, not the API's size, and every node of a cluster counts against
     * PostgreSQL's {@code max_connections}.
     */
    public ManagedDataSource buildSmall(MetricRegistry metricRegistry, String name, int maxSize) {
        synchronized (this) {
            int min = getMinSize();
            int initial = getInitialSize();
            int max = getMaxSize();
            try {
                setMaxSize(maxSize);
                setMinSize(Math.min(1, maxSize));
                setInitialSize(Math.min(1, maxSize));
                // The pool reads its sizes here, when it is built.
                return build(metricRegistry, name);
            } finally {
                setMinSize(min);
                setInitialSize(initial);
                setMaxSize(max);
            }
        }
    }
}
