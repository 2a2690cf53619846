package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rotakey.db.PlanDao;

import java.time.Instant;
import java.util.List;

/**
 * The rotation plan as {@code GET /api/v1/plan} shows it: what the scheduler will rotate, revoke and
 * let expire between {@code from} and {@code to}, with exact counts, the first {@code limit} items of
 * each kind in time order, and counts per hour (only hours that have any work).
 */
public record PlanView(
        Instant from,
        Instant to,
        String within,
        boolean paused,
        Section<PlanDao.PlannedRotation> overdue,
        Section<PlanDao.PlannedRevocation> overdueRevocations,
        Section<PlanDao.PlannedRotation> rotations,
        Section<PlanDao.PlannedRevocation> revocations,
        Section<Expiry> expiries,
        List<Hour> byHour,
        boolean truncated) {

    /** Exact count of one kind of work, and its first items. */
    public record Section<T>(long count, List<T> items) {
        @JsonIgnore
        public boolean truncated() {
            return items.size() < count;
        }
    }

    /**
     * Something that stops working at {@code at}: a leaf certificate ({@code kind} {@code certificate}), an
     * ephemeral agent, decommissioned at its expiry ({@code agent}), or a CA generation's own certificate ({@code ca}).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Expiry(String kind, String credential, String agent, String owner, Integer version, String serial,
                         String ca, Integer generation, Instant at) {

        public static Expiry of(PlanDao.CertificateExpiry c) {
            return new Expiry("certificate", c.credential(), c.agent(), c.owner(), c.version(), c.serial(), c.ca(),
                    c.caGeneration(), c.at());
        }

        public static Expiry of(PlanDao.AgentExpiry a) {
            return new Expiry("agent", null, a.agent(), a.owner(), null, null, null, null, a.at());
        }

        public static Expiry ofCa(String ca, int generation, Instant at) {
            return new Expiry("ca", null, null, null, null, null, ca, generation, at);
        }
    }

    /** The work that falls in one hour, which starts at {@code hour} (UTC). */
    public record Hour(Instant hour, long rotations, long revocations, long expiries) {
    }
}
