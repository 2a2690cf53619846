package dev.rotakey.db;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static dev.rotakey.db.AgentDao.instant;

/**
 * The SIEM export's durable cursors ({@code audit.streams}): the seq of the last audit event each stream's receiver
 * took, which node delivers the stream (a lease), and how far behind it is. Each statement stands alone: the cursors
 * are written through {@link Store#read}, outside the transactions whose end empties the node's caches.
 */
public final class AuditStreamDao {
    /** Where a stream stands: its cursor, the chain's head, and the time of its oldest undelivered event (null when none). */
    public record Position(String name, long seq, long headSeq, Instant oldestUndelivered, Instant deliveredAt,
                           int failures, String lastError) {
        /** Events committed and not yet delivered. */
        public long lagEvents() {
            return Math.max(0, headSeq - seq);
        }
    }

    private static final RowMapper<Position> POSITION = (rs, ctx) -> new Position(rs.getString("name"),
            rs.getLong("seq"), rs.getLong("head_seq"), instant(rs.getTimestamp("oldest")),
            instant(rs.getTimestamp("delivered_at")), rs.getInt("failures"), rs.getString("last_error"));

    private final Handle h;

    AuditStreamDao(Handle h) {
        this.h = h;
    }

    /** Creates the cursor of stream {@code name} at {@code seq}, unless it exists; answers whether it created it. */
    public boolean createIfAbsent(String name, long seq) {
        return h.createUpdate("INSERT INTO audit_stream_cursors (name, seq, failures) SELECT :name, :seq, 0 "
                        + "WHERE NOT EXISTS (SELECT 1 FROM audit_stream_cursors WHERE name = :name)")
                .bind("name", name).bind("seq", seq).execute() == 1;
    }

    /**
     * Takes or renews the lease on stream {@code name} for {@code holder} until {@code until}: when nobody holds it,
     * {@code holder} already does, or the holder's lease ran out before {@code now}. Answers whether it is held.
     */
    public boolean claim(String name, String holder, Instant now, Instant until) {
        return h.createUpdate("UPDATE audit_stream_cursors SET holder = :holder, lease_until = :until WHERE name = :name "
                        + "AND (holder IS NULL OR holder = :holder OR lease_until IS NULL OR lease_until < :now)")
                .bind("holder", holder).bind("until", until).bind("name", name).bind("now", now).execute() == 1;
    }

    /** The cursor of stream {@code name}, if it exists. */
    public Optional<Long> cursor(String name) {
        return h.createQuery("SELECT seq FROM audit_stream_cursors WHERE name = :name").bind("name", name)
                .mapTo(Long.class).findOne();
    }

    /**
     * Moves the cursor of {@code name} from {@code from} to {@code to} and renews the lease, if {@code holder} still
     * holds it and nobody moved the cursor since; answers whether it moved.
     */
    public boolean advance(String name, String holder, long from, long to, Instant at, Instant leaseUntil) {
        return h.createUpdate("UPDATE audit_stream_cursors SET seq = :to, delivered_at = :at, failures = 0, "
                        + "last_error = NULL, lease_until = :until WHERE name = :name AND holder = :holder AND seq = :from")
                .bind("to", to).bind("at", at).bind("until", leaseUntil).bind("name", name).bind("holder", holder)
                .bind("from", from).execute() == 1;
    }

    /** Counts a failed delivery of stream {@code name} by {@code holder}, with what went wrong (quoting no event). */
    public void failed(String name, String holder, String error) {
        h.createUpdate("UPDATE audit_stream_cursors SET failures = failures + 1, last_error = :error "
                        + "WHERE name = :name AND holder = :holder")
                .bind("error", error.length() > 512 ? error.substring(0, 512) : error).bind("name", name)
                .bind("holder", holder).execute();
    }

    /** Gives up {@code holder}'s lease on stream {@code name}, so that another node may take it at once. */
    public void release(String name, String holder) {
        h.createUpdate("UPDATE audit_stream_cursors SET holder = NULL, lease_until = NULL WHERE name = :name AND holder = :holder")
                .bind("name", name).bind("holder", holder).execute();
    }

    /** Every stream's position against the chain's head, in one statement. */
    public List<Position> positions() {
        return h.createQuery("SELECT c.name, c.seq, c.delivered_at, c.failures, c.last_error, a.head_seq, "
                        + "(SELECT e.at FROM audit_events e WHERE e.seq = c.seq + 1) AS oldest "
                        + "FROM audit_stream_cursors c CROSS JOIN audit_chain a WHERE a.id = 1 ORDER BY c.name")
                .map(POSITION).list();
    }
}
