package dev.rotakey.config;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;

import java.util.Arrays;

/**
 * The {@code database:} section: Dropwizard's data source settings, plus {@code passwordSecret}, the
 * database password from a {@link SecretSource} (a systemd credential in production) instead of a
 * literal {@code password}. The secret is read once, when the first pool is built.
 */
public class DatabaseFactory extends DataSourceFactory {
    @Valid
    private SecretSource passwordSecret;

    private boolean secretRead;

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
    @Override
    public ManagedDataSource build(MetricRegistry metricRegistry, String name) {
        synchronized (this) {
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
        return super.build(metricRegistry, name);
    }
}
