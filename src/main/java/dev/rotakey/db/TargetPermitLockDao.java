package dev.rotakey.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.OptionalInt;

/**
 * The concurrency permits of targets as PostgreSQL session advisory locks: permit {@code i} of a target is the lock
 * {@code (classId, i)}, held by the session of one dedicated connection while the operation runs. PostgreSQL drops a
 * session's locks when its connection ends, so a node that dies gives its permits back by itself. Works on the
 * connection it is given, not through {@link Store}, because the lock must stay with that one session.
 */
public final class TargetPermitLockDao {
    // Locks the first free slot only: the filter runs row by row under LIMIT 1, and no ORDER BY or aggregate makes
    // PostgreSQL evaluate it for further rows (the trap the advisory lock documentation warns of).
    private static final String TRY_LOCK =
            "SELECT s FROM generate_series(0, ? - 1) AS s WHERE pg_try_advisory_lock(?, s) LIMIT 1";

    private final Connection connection;

    public TargetPermitLockDao(Connection connection) {
        this.connection = connection;
    }

    /** Takes the first of the {@code slots} locks of {@code classId} that no session holds; empty when all are held. */
    public OptionalInt tryLock(int classId, int slots) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(TRY_LOCK)) {
            ps.setInt(1, slots);
            ps.setInt(2, classId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? OptionalInt.of(rs.getInt(1)) : OptionalInt.empty();
            }
        }
    }

    /**
     * Releases every advisory lock of this session: the connection is dedicated to one permit at a time, so this
     * also frees anything a failed earlier release left behind.
     */
    public void unlockAll() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("SELECT pg_advisory_unlock_all()");
        }
    }
}
