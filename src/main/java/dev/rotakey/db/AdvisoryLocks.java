package dev.rotakey.db;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

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

    /**
     * Waits until one session holds every lock {@code (space, k)} for {@code k} in {@code keys}: many locks for one
     * connection. They are taken in ascending order, so that two sessions taking overlapping sets never wait for each
     * other in a circle.
     */
    public Lock acquireAll(int space, java.util.Collection<Integer> keys) {
        List<Integer> sorted = keys.stream().distinct().sorted().toList();
        Handle h = jdbi.open();
        try {
            // unnest yields the array's elements in order, and each row's call runs as the row is produced.
            h.createQuery("SELECT COUNT(*) FROM (SELECT pg_advisory_lock(:space, k) FROM unnest(:keys) AS k) AS held")
                    .bind("space", space).bindArray("keys", Integer.class, sorted).mapTo(Long.class).one();
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        return () -> releaseAll(h, space, sorted);
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

    private static void releaseAll(Handle h, int space, List<Integer> keys) {
        try {
            h.createQuery("SELECT COUNT(*) FROM (SELECT pg_advisory_unlock(:space, k) FROM unnest(:keys) AS k) AS released")
                    .bind("space", space).bindArray("keys", Integer.class, keys).mapTo(Long.class).one();
        } catch (RuntimeException e) {
            LOG.warn("could not release {} advisory locks in space {}: {}; closing their session", keys.size(), space,
                    e.toString());
            PooledSessions.markDiscarded(h.getConnection());
        } finally {
            try {
                h.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the session of {} advisory locks failed: {}", keys.size(), e.toString());
            }
        }
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
