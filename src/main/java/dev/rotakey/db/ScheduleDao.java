package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;

/**
 * Finds work the database says is due but the Quartz tables hold no trigger for (a crash between
 * a commit and the scheduling call), with one anti-join each: cheap at 100,000 credentials.
 */
public final class ScheduleDao {
    /** A credential's next rotation time. */
    public record Due(String credentialId, int version, Instant at) {
    }

    private static final String NOT_ROTATING =
            "NOT EXISTS (SELECT 1 FROM rotations r WHERE r.credential_id = c.id AND r.state = 'RUNNING')";

    private final Handle h;

    ScheduleDao(Handle h) {
        this.h = h;
    }

    /**
     * Active credentials whose next rotation is due by {@code until} and has no trigger, soonest first; not those
     * rotating now, whose rotation sets their next one when it ends.
     */
    public List<Due> rotationsWithoutTrigger(String schedName, Instant until, int limit) {
        return h.createQuery("SELECT c.id, c.next_rotation_at FROM credentials c WHERE c.status = 'ACTIVE' "
                        + "AND c.next_rotation_at <= :until AND NOT EXISTS (SELECT 1 FROM QRTZ_TRIGGERS t "
                        + "WHERE t.SCHED_NAME = :sched AND t.TRIGGER_GROUP = 'rotate' AND t.TRIGGER_NAME = c.id) "
                        + "AND " + NOT_ROTATING + " ORDER BY c.next_rotation_at LIMIT :limit")
                .bind("sched", schedName).bind("until", until).bind("limit", limit)
                .map((rs, ctx) -> new Due(rs.getString(1), 0, AgentDao.instant(rs.getTimestamp(2))))
                .list();
    }

    /**
     * Active credentials due by {@code now} and not rotating, most overdue first, whether Quartz holds their trigger
     * or not: what the scheduler's workers would be handed one trigger at a time.
     */
    public List<String> rotationsDue(Instant now, int limit) {
        return h.createQuery("SELECT c.id FROM credentials c WHERE c.status = 'ACTIVE' AND c.next_rotation_at <= :now "
                        + "AND " + NOT_ROTATING + " ORDER BY c.next_rotation_at LIMIT :limit")
                .bind("now", now).bind("limit", limit).mapTo(String.class).list();
    }

    /**
     * Rotations RUNNING with no continuation trigger, left alone since {@code quietSince}: a node died between
     * committing the rotation and scheduling it. (While a continuation runs, or waits to be recovered from a dead
     * node, its trigger row stays.) {@link Due#credentialId()} holds the rotation id.
     */
    public List<Due> continuationsWithoutTrigger(String schedName, Instant quietSince, int limit) {
        return h.createQuery("SELECT r.id, r.next_attempt_at FROM rotations r WHERE r.state = 'RUNNING' "
                        + "AND r.updated_at < :quietSince AND NOT EXISTS (SELECT 1 FROM QRTZ_TRIGGERS t "
                        + "WHERE t.SCHED_NAME = :sched AND t.TRIGGER_GROUP = 'continue' AND t.TRIGGER_NAME = r.id) "
                        + "ORDER BY r.updated_at LIMIT :limit")
                .bind("sched", schedName).bind("quietSince", quietSince).bind("limit", limit)
                .map((rs, ctx) -> new Due(rs.getString(1), 0, AgentDao.instant(rs.getTimestamp(2))))
                .list();
    }

    /**
     * Versions with no trigger whose grace period ends by {@code until}, and revoked or failed versions whose removal
     * from the targets is still outstanding (any time), soonest first.
     */
    public List<Due> revocationsWithoutTrigger(String schedName, Instant until, int limit) {
        // A REVOKED or FAILED version with a revoke error still has targets to clean (an emergency marks it first, a
        // failed clean-up leaves it): retried too.
        return h.createQuery("SELECT v.credential_id, v.version, COALESCE(v.revoke_after, v.revoked_at, v.created_at) "
                        + "FROM credential_versions v WHERE ((v.state = 'PREVIOUS' AND v.revoke_after <= :until) "
                        + "OR (v.state IN ('REVOKED', 'FAILED') AND v.revoke_error IS NOT NULL)) AND NOT EXISTS (SELECT 1 FROM QRTZ_TRIGGERS t "
                        + "WHERE t.SCHED_NAME = :sched AND t.TRIGGER_GROUP = 'revoke' "
                        + "AND t.TRIGGER_NAME = v.credential_id || '#v' || CAST(v.version AS VARCHAR(12))) "
                        + "ORDER BY 3 LIMIT :limit")
                .bind("sched", schedName).bind("until", until).bind("limit", limit)
                .map((rs, ctx) -> new Due(rs.getString(1), rs.getInt(2), AgentDao.instant(rs.getTimestamp(3))))
                .list();
    }

    public List<Due> expiriesWithoutTrigger(String schedName, int limit) {
        return h.createQuery("SELECT a.id, a.expires_at FROM agents a WHERE a.status = 'ACTIVE' AND a.kind = 'EPHEMERAL' "
                        + "AND a.expires_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM QRTZ_TRIGGERS t "
                        + "WHERE t.SCHED_NAME = :sched AND t.TRIGGER_GROUP = 'decommission' AND t.TRIGGER_NAME = a.id) "
                        + "ORDER BY a.expires_at LIMIT :limit")
                .bind("sched", schedName).bind("limit", limit)
                .map((rs, ctx) -> new Due(rs.getString(1), 0, AgentDao.instant(rs.getTimestamp(2))))
                .list();
    }
}
