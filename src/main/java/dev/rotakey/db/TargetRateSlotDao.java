package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;

/**
 * The shared start slots of targets' {@code perSecond} limits (table {@code target_rate_slots}), so that a limit
 * holds for a cluster as a whole. PostgreSQL only: every time is the database's {@code clock_timestamp()}, so the
 * nodes' clocks do not matter.
 */
public final class TargetRateSlotDao {
    /** A reserved start slot and the database's time when it was reserved, both on the database's clock. */
    public record Reservation(Instant slot, Instant now) {
        /** How long to wait for the slot from when the answer arrived; zero when it has begun. */
        public Duration delay() {
            Duration d = Duration.between(now, slot);
            return d.isNegative() ? Duration.ZERO : d;
        }
    }

    // One statement, atomic on its own: the row lock orders concurrent reservations of a target, and each one
    // reads the time only once it holds the lock. A slot in the past is not banked (GREATEST with now); a
    // reservation beyond the budget updates nothing and returns no row.
    private static final String RESERVE = """
            INSERT INTO target_rate_slots AS s (target, next_slot)
            VALUES (:target, clock_timestamp() + :interval * INTERVAL '1 microsecond')
            ON CONFLICT (target) DO UPDATE
               SET next_slot = GREATEST(s.next_slot, clock_timestamp()) + :interval * INTERVAL '1 microsecond'
             WHERE GREATEST(s.next_slot, clock_timestamp()) <= clock_timestamp() + :budget * INTERVAL '1 microsecond'
            RETURNING s.next_slot - :interval * INTERVAL '1 microsecond', clock_timestamp()""";

    private final Handle h;

    TargetRateSlotDao(Handle h) {
        this.h = h;
    }

    /**
     * Reserves {@code target}'s next start slot, {@code intervalMicros} after the previous one or now, whichever is
     * later, if it begins within {@code budgetMicros} of now; empty, reserving nothing, when it would begin later.
     */
    public Optional<Reservation> reserve(String target, long intervalMicros, long budgetMicros) {
        return h.createQuery(RESERVE)
                .bind("target", target).bind("interval", intervalMicros).bind("budget", budgetMicros)
                .map((rs, ctx) -> new Reservation(rs.getObject(1, OffsetDateTime.class).toInstant(),
                        rs.getObject(2, OffsetDateTime.class).toInstant()))
                .findOne();
    }
}
