package dev.rotakey.db;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The posture findings already recorded as audit events, by fingerprint: which are open (seen and not resolved since),
 * and the conditional writes by which exactly one node of a cluster records each new one.
 */
public final class PostureFindingDao {
    private final Handle h;

    PostureFindingDao(Handle h) {
        this.h = h;
    }

    /** The fingerprints recorded and not resolved. */
    public Set<String> open() {
        return new HashSet<>(h.createQuery("SELECT fingerprint FROM posture_findings WHERE resolved_at IS NULL")
                .mapTo(String.class).list());
    }

    /**
     * Claims a finding for recording: inserts its row, or reopens a resolved one. A row already open is not claimed.
     * Two nodes inserting the same new fingerprint at once: the second one's insert fails on the primary key (and its
     * transaction, with its audit events, rolls back).
     *
     * @return whether this transaction claimed it (and must record its audit event)
     */
    public boolean claim(String fingerprint, Instant now) {
        int reopened = h.createUpdate("UPDATE posture_findings SET resolved_at = NULL, last_seen = :now "
                        + "WHERE fingerprint = :f AND resolved_at IS NOT NULL")
                .bind("f", fingerprint).bind("now", now).execute();
        if (reopened == 1) {
            return true;
        }
        boolean exists = h.createQuery("SELECT COUNT(*) FROM posture_findings WHERE fingerprint = :f")
                .bind("f", fingerprint).mapTo(Integer.class).one() > 0;
        if (exists) {
            return false;
        }
        h.createUpdate("INSERT INTO posture_findings (fingerprint, first_seen, last_seen) VALUES (:f, :now, :now)")
                .bind("f", fingerprint).bind("now", now).execute();
        return true;
    }

    /** Notes that these open findings were seen again at {@code now}. */
    public void seen(Collection<String> fingerprints, Instant now) {
        batch("UPDATE posture_findings SET last_seen = :now WHERE fingerprint = :f AND resolved_at IS NULL",
                fingerprints, now);
    }

    /** Marks these open findings resolved at {@code now}: the report no longer has them. */
    public void resolve(Collection<String> fingerprints, Instant now) {
        batch("UPDATE posture_findings SET resolved_at = :now WHERE fingerprint = :f AND resolved_at IS NULL",
                fingerprints, now);
    }

    private void batch(String sql, Collection<String> fingerprints, Instant now) {
        if (fingerprints.isEmpty()) {
            return;
        }
        PreparedBatch b = h.prepareBatch(sql);
        fingerprints.forEach(f -> b.bind("f", f).bind("now", now).add());
        b.execute();
    }
}
