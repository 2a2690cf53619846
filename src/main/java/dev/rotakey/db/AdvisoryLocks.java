package dev.rotakey.db;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL session advisory locks, each held on a database session of its own until released: mutual exclusion
 * between the nodes of a cluster that the database ends by itself when the node holding it dies (its session goes
 * with its connection), so a killed node never leaves a lock behind.
 */
public final class AdvisoryLocks {
    private static final Logger LOG = LoggerFactory.getLogger(AdvisoryLocks.class);

    /** A held lock; {@link #close()} releases it and returns the session to the pool. */
    public interface Lock extends AutoCloseable {
        @Override
        void close();
    }

    private final Jdbi jdbi;

    AdvisoryLocks(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Waits until this session holds the lock {@code (space, key)}. */
    public Lock acquire(int space, int key) {
        Handle h = jdbi.open();
        try {
            // pg_advisory_lock returns void: the statement's one row only says it is held.
            h.createQuery("SELECT 1 FROM (SELECT pg_advisory_lock(:space, :key)) AS held").bind("space", space)
                    .bind("key", key).mapTo(Integer.class).one();
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        return () -> release(h, space, key);
    }

    /** Takes the lock {@code (space, key)} if it is free; null when another session holds it. */
    public Lock tryAcquire(int space, int key) {
        Handle h = jdbi.open();
        boolean got;
        try {
            got = h.createQuery("SELECT pg_try_advisory_lock(:space, :key)").bind("space", space).bind("key", key)
                    .mapTo(Boolean.class).one();
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        if (!got) {
            h.close();
            return null;
        }
        return () -> release(h, space, key);
    }

    private static void release(Handle h, int space, int key) {
        try {
            h.createQuery("SELECT pg_advisory_unlock(:space, :key)").bind("space", space).bind("key", key)
                    .mapTo(Boolean.class).one();
        } catch (RuntimeException e) {
            // The session is most likely broken, its locks gone with it; if not, it must not go back to the pool.
            LOG.warn("could not release advisory lock ({}, {}): {}; closing its session", space, key, e.toString());
            PooledSessions.markDiscarded(h.getConnection());
        } finally {
            try {
                h.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the session of advisory lock ({}, {}) failed: {}", space, key, e.toString());
            }
        }
    }
}
