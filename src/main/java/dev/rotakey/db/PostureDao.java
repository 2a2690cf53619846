package dev.rotakey.db;

import dev.rotakey.core.AcknowledgementPolicy;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.rotakey.db.AgentDao.instant;

/**
 * The posture report's reads: one set-based query per kind of finding over the whole fleet, so a report costs a
 * handful of round trips however many credentials there are. Times are bound as parameters computed by the caller
 * ({@code now.minus(policy)}), never as interval arithmetic, which H2 and PostgreSQL spell differently.
 */
public final class PostureDao {
    /** An active agent, its attestation columns as stored, and how many active credentials it has. */
    public record AgentRow(String id, String owner, Instant createdAt, Instant attestedAt, String attestEvery,
                           Instant suspendedAt, int credentials) {
    }

    /**
     * One credential (and version, 0 when none) with its agent and owner, a time ({@code at}) and what else the kind
     * needs ({@code detail}, {@code extra}); which time and what detail are said by each query.
     */
    public record CredentialRow(String credentialId, int version, String agentId, String owner, String type, Instant at,
                                String detail, String extra) {
    }

    /** A credential whose CURRENT version's consumers are awaited, with the consumers that have acknowledged it. */
    public record AwaitedRow(String credentialId, int version, String agentId, String owner, Instant promotedAt,
                             AcknowledgementPolicy policy, List<String> overdue, Set<String> acknowledged) {
    }

    /** An unrevoked, unexpired token: never its digest. */
    public record TokenRow(String name, String role, String owner, Instant createdAt, Instant lastUsedAt,
                           String neededRole) {
    }

    private static final String OWNED = " JOIN agents a ON a.id = c.agent_id ";
    private static final RowMapper<CredentialRow> ROW = (rs, ctx) -> new CredentialRow(rs.getString(1), rs.getInt(2),
            rs.getString(3), rs.getString(4), rs.getString(5), instant(rs.getTimestamp(6)), rs.getString(7),
            rs.getString(8));

    private final Handle h;

    PostureDao(Handle h) {
        this.h = h;
    }

    /** Every active agent with its count of active credentials. */
    public List<AgentRow> agents() {
        return h.createQuery("SELECT a.id, a.owner, a.created_at, a.attested_at, a.attest_every, a.suspended_at, "
                        + "COUNT(c.id) FROM agents a LEFT JOIN credentials c ON c.agent_id = a.id AND c.status = 'ACTIVE' "
                        + "WHERE a.status = 'ACTIVE' "
                        + "GROUP BY a.id, a.owner, a.created_at, a.attested_at, a.attest_every, a.suspended_at")
                .map((rs, ctx) -> new AgentRow(rs.getString(1), rs.getString(2), instant(rs.getTimestamp(3)),
                        instant(rs.getTimestamp(4)), rs.getString(5), instant(rs.getTimestamp(6)), rs.getInt(7)))
                .list();
    }

    /**
     * Active credentials that have only ever had version 1, created before {@code before}: {@code at} is the
     * creation, {@code detail} the rotation interval ({@code every}, ISO-8601) and {@code extra} the cron, one of them set.
     */
    public List<CredentialRow> neverRotated(Instant before) {
        return h.createQuery("SELECT c.id, 1, c.agent_id, a.owner, c.type, c.created_at, c.rotation_every, "
                        + "c.rotation_cron FROM credentials c" + OWNED + "WHERE c.status = 'ACTIVE' AND c.created_at < :before "
                        + "AND NOT EXISTS (SELECT 1 FROM credential_versions v WHERE v.credential_id = c.id AND v.version > 1)")
                .bind("before", before).map(ROW).list();
    }

    /**
     * Unrevoked certificates of CURRENT versions of active credentials valid for longer than {@code maxSeconds}:
     * {@code at} is notBefore, {@code detail} the serial, {@code extra} notAfter (ISO-8601).
     */
    public List<CredentialRow> longCertificates(long maxSeconds) {
        // EXTRACT(EPOCH ...) is spelled alike by H2 and PostgreSQL, where subtracting timestamps is not.
        return h.createQuery("SELECT i.credential_id, i.version, c.agent_id, a.owner, c.type, i.not_before, i.serial, "
                        + "i.not_after FROM issued_certificates i JOIN credential_versions v ON v.credential_id = "
                        + "i.credential_id AND v.version = i.version AND v.state = 'CURRENT' JOIN credentials c ON c.id = "
                        + "i.credential_id" + OWNED + "WHERE i.revoked_at IS NULL AND c.status = 'ACTIVE' "
                        + "AND EXTRACT(EPOCH FROM i.not_after) - EXTRACT(EPOCH FROM i.not_before) > :max")
                .bind("max", maxSeconds)
                .map((rs, ctx) -> new CredentialRow(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), instant(rs.getTimestamp(6)), rs.getString(7),
                        instant(rs.getTimestamp(8)).toString()))
                .list();
    }

    /**
     * Active credentials whose last use seen by usage telemetry was before {@code before}: {@code at} is that use,
     * {@code version} its version, {@code detail} the relying service.
     */
    public List<CredentialRow> unused(Instant before) {
        return h.createQuery("SELECT s.credential_id, s.last_version, c.agent_id, a.owner, c.type, s.last_used_at, "
                        + "s.last_relying_service, NULL FROM usage_summary s JOIN credentials c ON c.id = s.credential_id"
                        + OWNED + "WHERE s.last_used_at < :before AND c.status = 'ACTIVE'")
                .bind("before", before).map(ROW).list();
    }

    /** Active API keys created before {@code before} that usage telemetry has never seen: {@code at} is the creation. */
    public List<CredentialRow> neverVerified(Instant before) {
        return h.createQuery("SELECT c.id, 0, c.agent_id, a.owner, c.type, c.created_at, NULL, NULL FROM credentials c"
                        + OWNED + "WHERE c.status = 'ACTIVE' AND c.type = 'api-key' AND c.created_at < :before "
                        + "AND NOT EXISTS (SELECT 1 FROM usage_summary s WHERE s.credential_id = c.id)")
                .bind("before", before).map(ROW).list();
    }

    /**
     * PREVIOUS versions of active credentials used since {@code since} and after their successor's promotion: {@code at}
     * is the latest such use, {@code detail} the number of uses in the hours read, {@code extra} a relying service.
     */
    public List<CredentialRow> previousInUse(Instant since) {
        return h.createQuery("SELECT u.credential_id, u.version, c.agent_id, a.owner, c.type, MAX(u.last_used_at), "
                        + "CAST(SUM(u.uses) AS VARCHAR(20)), MIN(u.relying_service) FROM usage_hourly u "
                        + "JOIN credential_versions p ON p.credential_id = u.credential_id AND p.version = u.version "
                        + "AND p.state = 'PREVIOUS' JOIN credential_versions cur ON cur.credential_id = u.credential_id "
                        + "AND cur.state = 'CURRENT' JOIN credentials c ON c.id = u.credential_id" + OWNED
                        // Not by the hour column: HOUR is a keyword to H2 (quoted there, not on PostgreSQL). A row's last
                        // use is within its hour, and the table holds the telemetry's window only.
                        + "WHERE u.last_used_at >= :since AND u.last_used_at > cur.promoted_at "
                        + "AND c.status = 'ACTIVE' GROUP BY u.credential_id, u.version, c.agent_id, a.owner, c.type")
                .bind("since", since).map(ROW).list();
    }

    /**
     * Active credentials with an acknowledgement policy whose PREVIOUS version is still live (so the CURRENT one's
     * acknowledgements are awaited), or whose consumers were recorded overdue; with who acknowledged the CURRENT version.
     */
    public List<AwaitedRow> awaitedAcknowledgements() {
        String awaited = "c.status = 'ACTIVE' AND (c.acknowledgement_overdue IS NOT NULL OR (c.acknowledgement_policy "
                + "IS NOT NULL AND EXISTS (SELECT 1 FROM credential_versions p WHERE p.credential_id = c.id "
                + "AND p.state = 'PREVIOUS')))";
        Map<String, Set<String>> acknowledged = new HashMap<>();
        h.createQuery("SELECT k.credential_id, k.consumer FROM version_acknowledgements k JOIN credential_versions v "
                        + "ON v.credential_id = k.credential_id AND v.version = k.version AND v.state = 'CURRENT' "
                        + "JOIN credentials c ON c.id = k.credential_id WHERE " + awaited)
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2)))
                .forEach(e -> acknowledged.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(e.getValue()));
        return h.createQuery("SELECT c.id, v.version, c.agent_id, a.owner, v.promoted_at, c.acknowledgement_policy, "
                        + "c.acknowledgement_overdue FROM credentials c JOIN credential_versions v ON v.credential_id = c.id "
                        + "AND v.state = 'CURRENT'" + OWNED + "WHERE " + awaited)
                .map((rs, ctx) -> new AwaitedRow(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4),
                        instant(rs.getTimestamp(5)), CredentialDao.acknowledgements(rs.getString(6)),
                        CredentialDao.consumers(rs.getString(7)), acknowledged.getOrDefault(rs.getString(1), Set.of())))
                .list();
    }

    /** Tokens neither revoked nor expired by {@code now}. */
    public List<TokenRow> tokens(Instant now) {
        return h.createQuery("SELECT name, role, owner, created_at, last_used_at, needed_role FROM api_tokens "
                        + "WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)")
                .bind("now", now)
                .map((rs, ctx) -> new TokenRow(rs.getString(1), rs.getString(2), rs.getString(3),
                        instant(rs.getTimestamp(4)), instant(rs.getTimestamp(5)), rs.getString(6)))
                .list();
    }
}
