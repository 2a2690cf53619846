package dev.rotakey.e2e;

import dev.rotakey.testing.TestDatabases;
import io.dropwizard.db.DataSourceFactory;
import org.junit.jupiter.api.AfterAll;

/** The same batches through the real daemon on the machine's PostgreSQL (a schema of its own for the class). */
class CredentialBatchPostgresIT extends CredentialBatchIT {
    private DataSourceFactory database;

    @Override
    String databaseUrl() {
        if (database == null) {
            database = TestDatabases.postgres();
        }
        return database.getUrl();
    }

    /** Stops the daemon first, then drops its schema. */
    @Override
    @AfterAll
    void stop() {
        super.stop();
        if (database != null) {
            TestDatabases.cleanup(database);
        }
    }
}
