package dev.rotakey.db;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The read side of the rotation plan: which scheduled rotations, grace-period revocations and expiries
 * fall in a time window, as counts, per-hour counts and the first few rows. Every query is a range scan
 * of an index on the time column (credentials.next_rotation_at, credential_versions(state, revoke_after),
 * issued_certificates(ca_name, ca_generation, revoked_at, not_after)), except the ephemeral agents' expiry,
 * which scans the agents table (there is no index on agents.expires_at).
 */
public final class PlanDao {
    /** A credential's next scheduled rotation. {@code type} is the wire name ({@code api-key}, …). */
    public record PlannedRotation(String credential, String agent, String owner, String type, Instant at) {
    }

    /**
     * A PREVIOUS version's end of grace; {@code waitsForConsumers} when its credential also waits for
     * acknowledgements, so that the revocation may come later (at most at its maxGracePeriod).
     */
    public record PlannedRevocation(String credential, String agent, String owner, int version, Instant at,
                                    boolean waitsForConsumers) {
    }

    /** An unrevoked leaf certificate's notAfter. */
    public record CertificateExpiry(String credential, String agent, String owner, int version, String serial,
                                    String ca, int caGeneration, Instant at) {
    }

    /** An active ephemeral agent's expiresAt, when it is decommissioned. */
    public record AgentExpiry(String agent, String owner, Instant at) {
    }

    /** A CA generation still in use (ACTIVE or RETIRING), with its public certificate. */
    public record CaGeneration(String name, int generation, String state, String certificatePem) {
    }

    // Hours since the epoch, the same on H2 and PostgreSQL and whatever the session's time zone.
    private static String hourOf(String column) {
        return "FLOOR(EXTRACT(EPOCH FROM " + column + ") / 3600)";
    }

    /** A FROM table and WHERE clause of one kind of planned work; joins for the items go in between. */
    private record Scope(String from, String where) {
        String sql(String joins) {
            return " FROM " + from + joins + " WHERE " + where;
        }
    }

    private static final Scope ROTATIONS = new Scope("credentials c",
            "c.status = 'ACTIVE' AND c.next_rotation_at >= :from AND c.next_rotation_at <= :to");
    private static final Scope OVERDUE_ROTATIONS = new Scope("credentials c",
            "c.status = 'ACTIVE' AND c.next_rotation_at < :from");
    private static final Scope REVOCATIONS = new Scope("credential_versions v",
            "v.state = 'PREVIOUS' AND v.revoke_after >= :from AND v.revoke_after <= :to");
    private static final Scope OVERDUE_REVOCATIONS = new Scope("credential_versions v",
            "v.state = 'PREVIOUS' AND v.revoke_after < :from");
    // Driven from the few CA generations, so that each probes the (ca_name, ca_generation, revoked_at, not_after) index.
    private static final Scope CERTIFICATES = new Scope("certificate_authorities g JOIN issued_certificates i "
            + "ON i.ca_name = g.name AND i.ca_generation = g.generation",
            "g.state <> 'RETIRED' AND i.revoked_at IS NULL AND i.not_after >= :from AND i.not_after <= :to");
    private static final Scope AGENTS = new Scope("agents a",
            "a.kind = 'EPHEMERAL' AND a.status = 'ACTIVE' AND a.expires_at >= :from AND a.expires_at <= :to");

    private static final String OWNER_OF_CREDENTIAL = " LEFT JOIN agents a ON a.id = c.agent_id";

    private final Handle h;

    PlanDao(Handle h) {
        this.h = h;
    }

    public long countRotations(Instant from, Instant to) {
        return count(ROTATIONS, from, to);
    }

    public List<PlannedRotation> rotations(Instant from, Instant to, int limit) {
        return rotationRows(ROTATIONS, from, to, limit);
    }

    public Map<Long, Long> rotationsByHour(Instant from, Instant to) {
        return byHour("c.next_rotation_at", ROTATIONS, from, to);
    }

    /** Active credentials whose next rotation is already before {@code from}: late, or held by the kill switch. */
    public long countOverdueRotations(Instant from) {
        return count(OVERDUE_ROTATIONS, from, from);
    }

    public List<PlannedRotation> overdueRotations(Instant from, int limit) {
        return rotationRows(OVERDUE_ROTATIONS, from, from, limit);
    }

    public long countRevocations(Instant from, Instant to) {
        return count(REVOCATIONS, from, to);
    }

    public List<PlannedRevocation> revocations(Instant from, Instant to, int limit) {
        return revocationRows(REVOCATIONS, from, to, limit);
    }

    public Map<Long, Long> revocationsByHour(Instant from, Instant to) {
        return byHour("v.revoke_after", REVOCATIONS, from, to);
    }

    /** PREVIOUS versions past their grace: waiting for consumers' acknowledgements, held by the kill switch, or late. */
    public long countOverdueRevocations(Instant from) {
        return count(OVERDUE_REVOCATIONS, from, from);
    }

    public List<PlannedRevocation> overdueRevocations(Instant from, int limit) {
        return revocationRows(OVERDUE_REVOCATIONS, from, from, limit);
    }

    public long countCertificateExpiries(Instant from, Instant to) {
        return count(CERTIFICATES, from, to);
    }

    public List<CertificateExpiry> certificateExpiries(Instant from, Instant to, int limit) {
        return window(h.createQuery("SELECT i.credential_id, i.agent_id, a.owner, i.version, i.serial, i.ca_name, "
                        + "i.ca_generation, i.not_after" + CERTIFICATES.sql(" LEFT JOIN agents a ON a.id = i.agent_id")
                        + " ORDER BY i.not_after, i.serial LIMIT :limit"), CERTIFICATES, from, to)
                .bind("limit", limit)
                .map((rs, ctx) -> new CertificateExpiry(rs.getString("credential_id"), rs.getString("agent_id"),
                        rs.getString("owner"), rs.getInt("version"), rs.getString("serial"), rs.getString("ca_name"),
                        rs.getInt("ca_generation"), AgentDao.instant(rs.getTimestamp("not_after"))))
                .list();
    }

    public Map<Long, Long> certificateExpiriesByHour(Instant from, Instant to) {
        return byHour("i.not_after", CERTIFICATES, from, to);
    }

    public long countAgentExpiries(Instant from, Instant to) {
        return count(AGENTS, from, to);
    }

    public List<AgentExpiry> agentExpiries(Instant from, Instant to, int limit) {
        return window(h.createQuery("SELECT a.id, a.owner, a.expires_at" + AGENTS.sql("")
                        + " ORDER BY a.expires_at, a.id LIMIT :limit"), AGENTS, from, to)
                .bind("limit", limit)
                .map((rs, ctx) -> new AgentExpiry(rs.getString("id"), rs.getString("owner"),
                        AgentDao.instant(rs.getTimestamp("expires_at"))))
                .list();
    }

    public Map<Long, Long> agentExpiriesByHour(Instant from, Instant to) {
        return byHour("a.expires_at", AGENTS, from, to);
    }

    /** The CA generations whose certificates can still expire: every one not RETIRED. */
    public List<CaGeneration> caGenerationsInUse() {
        return h.createQuery("SELECT name, generation, state, certificate FROM certificate_authorities "
                        + "WHERE state <> 'RETIRED' ORDER BY name, generation")
                .map((rs, ctx) -> new CaGeneration(rs.getString("name"), rs.getInt("generation"), rs.getString("state"),
                        rs.getString("certificate")))
                .list();
    }

    /** Binds the window's ends that the scope uses (Jdbi refuses a named argument the statement does not use). */
    private static Query window(Query q, Scope scope, Instant from, Instant to) {
        q.bind("from", from);
        if (scope.where().contains(":to")) {
            q.bind("to", to);
        }
        return q;
    }

    private long count(Scope scope, Instant from, Instant to) {
        return window(h.createQuery("SELECT COUNT(*)" + scope.sql("")), scope, from, to)
                .mapTo(Long.class).one();
    }

    /** Counts per hour since the epoch, in hour order; only hours that have any. */
    private Map<Long, Long> byHour(String column, Scope scope, Instant from, Instant to) {
        String hour = hourOf(column);
        Map<Long, Long> out = new TreeMap<>();
        window(h.createQuery("SELECT " + hour + " AS hour_index, COUNT(*) AS n" + scope.sql("") + " GROUP BY " + hour),
                scope, from, to)
                .map((rs, ctx) -> Map.entry(rs.getLong("hour_index"), rs.getLong("n")))
                .forEach(e -> out.merge(e.getKey(), e.getValue(), Long::sum));
        return out;
    }

    private List<PlannedRotation> rotationRows(Scope scope, Instant from, Instant to, int limit) {
        return window(h.createQuery("SELECT c.id, c.agent_id, a.owner, c.type, c.next_rotation_at"
                        + scope.sql(OWNER_OF_CREDENTIAL) + " ORDER BY c.next_rotation_at, c.id LIMIT :limit"), scope, from, to)
                .bind("limit", limit)
                .map((rs, ctx) -> new PlannedRotation(rs.getString("id"), rs.getString("agent_id"), rs.getString("owner"),
                        rs.getString("type"), AgentDao.instant(rs.getTimestamp("next_rotation_at"))))
                .list();
    }

    private List<PlannedRevocation> revocationRows(Scope scope, Instant from, Instant to, int limit) {
        return window(h.createQuery("SELECT v.credential_id, c.agent_id, a.owner, v.version, v.revoke_after, "
                        + "c.acknowledgement_policy" + scope.sql(" JOIN credentials c ON c.id = v.credential_id"
                        + OWNER_OF_CREDENTIAL) + " ORDER BY v.revoke_after, v.credential_id, v.version LIMIT :limit"),
                scope, from, to)
                .bind("limit", limit)
                .map((rs, ctx) -> new PlannedRevocation(rs.getString("credential_id"), rs.getString("agent_id"),
                        rs.getString("owner"), rs.getInt("version"), AgentDao.instant(rs.getTimestamp("revoke_after")),
                        rs.getString("acknowledgement_policy") != null))
                .list();
    }
}
