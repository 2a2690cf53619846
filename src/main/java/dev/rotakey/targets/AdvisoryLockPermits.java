package dev.rotakey.targets;

import dev.rotakey.db.PooledSessions;
import dev.rotakey.db.TargetPermitLockDao;
import org.apache.tomcat.jdbc.pool.PoolExhaustedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Concurrency permits shared by every node of a cluster: permit {@code i} of a target is the PostgreSQL session
 * advisory lock {@code (classId, i)}, with {@code classId} derived from the target's name, held on a connection of
 * the node's {@link PermitConnectionPool} while the operation runs. A node that dies loses its sessions and so its
 * permits, without anyone cleaning up. Waiting is polling (the free slots are tried, then a short jittered back-off
 * up to 100 ms), so, unlike the single-node semaphore, the cluster's queue is not first come first served.
 */
public final class AdvisoryLockPermits implements OperationPermits {
    private static final Logger LOG = LoggerFactory.getLogger(AdvisoryLockPermits.class);
    private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** 'R','K': the first key's upper half in Rotakey's other advisory locks. */
    private static final int RESERVED_SPACES = 0x524B;

    private final PermitConnectionPool connections;
    private final String target;
    private final int size;
    private final int classId;
    private final LimitedTarget.Waiting waiting;
    private final AtomicBoolean closed = new AtomicBoolean();

    public AdvisoryLockPermits(PermitConnectionPool connections, String target, int size,
                               LimitedTarget.Waiting waiting) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive");
        }
        this.connections = connections;
        this.target = target;
        this.size = size;
        this.classId = classId(target);
        this.waiting = waiting;
        connections.retain();
    }

    /**
     * The first key of the target's advisory locks: 32 bits of a SHA-256 of its name, kept out of the spaces
     * {@code 0x524Bxxxx} of Rotakey's other cluster locks ({@code ClusterLocks}). Two targets whose names collide
     * would share permits (stricter, never looser); the two-key locks do not overlap the one-key ones.
     */
    public static int classId(String target) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("rotakey target limits\0" + target).getBytes(StandardCharsets.UTF_8));
            int id = ByteBuffer.wrap(digest).getInt();
            return id >>> 16 == RESERVED_SPACES ? id ^ 0x8000_0000 : id;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Permit acquire(long timeoutNanos) throws InterruptedException {
        long deadline = waiting.nanoTime() + timeoutNanos;
        long backoff = FIRST_BACKOFF_NANOS;
        while (true) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            Permit permit = tryOnce();
            if (permit != null) {
                return permit;
            }
            long left = deadline - waiting.nanoTime();
            if (left <= 0) {
                return null;
            }
            // Jittered, so that nodes that found every slot taken at the same moment do not all come back together.
            long pause = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
            waiting.sleepNanos(Math.min(left, pause));
            backoff = Math.min(MAX_BACKOFF_NANOS, backoff * 2);
        }
    }

    /** One try at a free slot: a permit, or null when every slot (or every connection of this node) is taken. */
    private Permit tryOnce() {
        Connection c;
        try {
            c = connections.connection();
        } catch (PoolExhaustedException e) {
            // All of this node's lock connections hold permits or are trying: the same as a taken slot.
            return null;
        } catch (SQLException | RuntimeException e) {
            throw unreachable(e);
        }
        try {
            TargetPermitLockDao locks = new TargetPermitLockDao(c);
            OptionalInt slot = locks.tryLock(classId, size);
            if (slot.isPresent()) {
                return new LockPermit(c, locks);
            }
            c.close();
            return null;
        } catch (SQLException | RuntimeException e) {
            PooledSessions.discard(c);
            throw unreachable(e);
        }
    }

    private TargetException unreachable(Exception e) {
        // The operation fails as retryable rather than running unlimited; the rotation backs off and retries.
        return new TargetException("target '" + target + "' busy: cannot reach the concurrency limiter in the "
                + "database (" + e.getClass().getSimpleName() + ")", true, e);
    }

    private final class LockPermit implements Permit {
        private final Connection connection;
        private final TargetPermitLockDao locks;
        private final AtomicBoolean released = new AtomicBoolean();

        LockPermit(Connection connection, TargetPermitLockDao locks) {
            this.connection = connection;
            this.locks = locks;
        }

        @Override
        public void release() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            try {
                locks.unlockAll();
                connection.close();
            } catch (SQLException | RuntimeException e) {
                // The session is most likely gone already (its lock with it); ending it makes sure.
                LOG.warn("target '{}': could not release a concurrency permit cleanly ({}); closing its connection",
                        target, e.getClass().getSimpleName());
                PooledSessions.discard(connection);
            }
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            connections.release();
        }
    }

    @Override
    public String toString() {
        return "AdvisoryLockPermits{" + target + ", size=" + size + "}";
    }
}
