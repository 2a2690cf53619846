package dev.rotakey.config;

import com.codahale.metrics.MetricRegistry;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import jakarta.validation.ConstraintViolation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link DatabaseFactory}: the database password from a secret source (a systemd credential in production). */
class DatabaseFactoryTest {
    @TempDir
    Path tmp;

    static DatabaseFactory h2(String url) {
        DatabaseFactory f = new DatabaseFactory();
        f.setDriverClass("org.h2.Driver");
        f.setUrl(url);
        f.setUser("rotakey");
        return f;
    }

    @Test
    void thePasswordComesFromTheSecretAndIsUsedToLogIn() throws Exception {
        String password = "pw-" + UUID.randomUUID();
        Path file = Files.writeString(tmp.resolve("db-password"), password + "\n");
        String url = "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        DatabaseFactory f = h2(url);
        f.setPasswordSecret(SecretSource.fromFile(file.toString()));

        // H2 creates an in-memory database with the credentials of its first connection.
        ManagedDataSource ds = f.build(new MetricRegistry(), "test");
        try (Connection c = ds.getConnection()) {
            assertThat(c.isValid(1)).isTrue();
        }
        // A second pool (Quartz's) uses the same password without reading the secret again.
        Files.delete(file);
        ManagedDataSource second = f.build(new MetricRegistry(), "second");
        try (Connection c = second.getConnection()) {
            assertThat(c.isValid(1)).isTrue();
        }
        try (Connection c = DriverManager.getConnection(url, "rotakey", password)) {
            assertThat(c.isValid(1)).isTrue();
        }
        assertThatThrownBy(() -> DriverManager.getConnection(url, "rotakey", "wrong")).isInstanceOf(SQLException.class);
        ds.stop();
        second.stop();
    }

    @Test
    void aMissingCredentialStopsStartUpNamingTheKey() {
        assumeTrue(System.getenv("CREDENTIALS_DIRECTORY") == null, "runs outside a systemd service");
        DatabaseFactory f = h2("jdbc:h2:mem:" + UUID.randomUUID());
        SecretSource credential = new SecretSource();
        credential.setCredential("db-password");
        f.setPasswordSecret(credential);
        assertThatThrownBy(() -> f.build(new MetricRegistry(), "test"))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("database.passwordSecret")
                .hasMessageContaining("'db-password'")
                .hasMessageContaining("CREDENTIALS_DIRECTORY");
    }

    @Test
    void aPasswordAndAPasswordSecretTogetherAreRefused() throws Exception {
        DatabaseFactory f = Jackson.newObjectMapper().readValue("""
                {"driverClass": "org.h2.Driver", "url": "jdbc:h2:mem:x", "user": "rotakey",
                 "password": "literal", "passwordSecret": {"file": "/etc/rotakey/credentials/db-password"}}
                """, DatabaseFactory.class);
        Set<ConstraintViolation<DatabaseFactory>> violations = Validators.newValidator().validate(f);
        assertThat(violations).extracting(ConstraintViolation::getMessage)
                .contains("database: give either password or passwordSecret, not both");

        f.setPassword(null);
        assertThat(Validators.newValidator().validate(f)).isEmpty();
    }

    @Test
    void anH2FileDatabaseIsMadeDurableAtCommitAndAnyOtherWriteDelayIsRefused() {
        assertThat(DatabaseFactory.durableUrl("jdbc:h2:file:/d/rotakey;LOCK_TIMEOUT=10000"))
                .isEqualTo("jdbc:h2:file:/d/rotakey;LOCK_TIMEOUT=10000;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE");
        assertThat(DatabaseFactory.durableUrl("jdbc:h2:file:/d/rotakey;write_delay=0;db_close_on_exit=true"))
                .as("what the URL sets stays").isEqualTo("jdbc:h2:file:/d/rotakey;write_delay=0;db_close_on_exit=true");
        assertThat(DatabaseFactory.durableUrl("jdbc:h2:mem:x")).isEqualTo("jdbc:h2:mem:x");
        assertThat(DatabaseFactory.durableUrl("jdbc:postgresql://h/db")).isEqualTo("jdbc:postgresql://h/db");

        DatabaseFactory delayed = h2("jdbc:h2:file:/d/rotakey;WRITE_DELAY=500");
        assertThat(Validators.newValidator().validate(delayed)).extracting(ConstraintViolation::getMessage)
                .anyMatch(m -> m.contains("WRITE_DELAY=0"));
        assertThat(Validators.newValidator().validate(h2("jdbc:h2:file:/d/rotakey"))).isEmpty();
    }
}
