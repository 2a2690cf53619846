package dev.rotakey.db;

import org.apache.tomcat.jdbc.pool.PooledConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Ends a pooled connection's database session for good: a session that may still hold an advisory lock after a
 * failed release must not go back to the pool (the next borrower would hold the lock unknowingly), so the pool is
 * told to close the connection instead of keeping it.
 */
public final class PooledSessions {
    private static final Logger LOG = LoggerFactory.getLogger(PooledSessions.class);

    private PooledSessions() {
    }

    /** Marks {@code c} discarded, so that closing it closes its session rather than returning it to the pool. */
    public static void markDiscarded(Connection c) {
        try {
            c.unwrap(PooledConnection.class).setDiscarded(true);
        } catch (SQLException | RuntimeException e) {
            LOG.debug("cannot mark a lock connection discarded", e);
        }
    }

    /** {@link #markDiscarded}, then closes {@code c}; quietly, since the session is usually broken already. */
    public static void discard(Connection c) {
        markDiscarded(c);
        try {
            c.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("cannot close a lock connection", e);
        }
    }
}
