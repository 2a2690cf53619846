package dev.rotakey.targets;

import io.dropwizard.db.ManagedDataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Supplier;

/**
 * The small pool of connections on which a node holds its cluster-wide concurrency permits
 * ({@link AdvisoryLockPermits}): one connection per running limited operation, so it is kept apart from the main
 * pool, which must never run dry because targets are slow. Built on first use and stopped when the last of the
 * permits using it is closed.
 */
public final class PermitConnectionPool {
    private final Supplier<ManagedDataSource> build;
    /** Guarded by {@code this}. */
    private ManagedDataSource pool;
    private int users;

    /** @param build makes the started pool the first time a connection is wanted */
    public PermitConnectionPool(Supplier<ManagedDataSource> build) {
        this.build = build;
    }

    synchronized void retain() {
        users++;
    }

    /** One user of the pool is done; the last one stops it. */
    synchronized void release() {
        if (users > 0 && --users == 0 && pool != null) {
            try {
                pool.stop();
            } catch (Exception e) {
                // Stopping closes idle connections; one that fails to close is gone with the process anyway.
            }
            pool = null;
        }
    }

    /** A connection of the pool; closing it gives it back. */
    Connection connection() throws SQLException {
        ManagedDataSource ds;
        synchronized (this) {
            if (pool == null) {
                pool = build.get();
            }
            ds = pool;
        }
        return ds.getConnection();
    }
}
