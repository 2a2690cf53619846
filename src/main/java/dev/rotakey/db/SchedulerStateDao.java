package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Reads Quartz's cluster check-ins ({@code QRTZ_SCHEDULER_STATE}): one row per node of a clustered scheduler, which
 * Quartz itself writes every check-in interval and deletes once another node has taken over a dead node's work.
 */
public final class SchedulerStateDao {
    /** A node's latest check-in, by Quartz's wall clock, and how often it promised to check in. */
    public record Checkin(String instanceId, Instant lastCheckin, Duration checkinInterval) {
    }

    private final Handle h;

    SchedulerStateDao(Handle h) {
        this.h = h;
    }

    /** The nodes checked in under scheduler name {@code schedName}, by instance id; none when it is not clustered. */
    public List<Checkin> checkins(String schedName) {
        return h.createQuery("SELECT INSTANCE_NAME, LAST_CHECKIN_TIME, CHECKIN_INTERVAL FROM QRTZ_SCHEDULER_STATE "
                        + "WHERE SCHED_NAME = :sched ORDER BY INSTANCE_NAME")
                .bind("sched", schedName)
                .map((rs, ctx) -> new Checkin(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)),
                        Duration.ofMillis(rs.getLong(3))))
                .list();
    }
}
