package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.rotakey.db.AgentDao.instant;

/**
 * Aggregates over the whole fleet for the Prometheus gauges: counts by state, the earliest due
 * rotation, failures outstanding, certificate expiry. Every query is an aggregate that an existing
 * index serves, so that a refresh stays cheap with 100,000 credentials and never grows with history.
 */
public final class FleetDao {
    /** A CA generation's certificate (public material), for its expiry. */
    public record CaCertificate(String name, int generation, String state, String certificatePem) {
    }

    /** One credential's schedule and current version, for the opt-in per-credential series. */
    public record CredentialSchedule(String credentialId, String agentId, String owner, Instant nextRotationAt,
                                     Integer currentVersion) {
    }

    private final Handle h;

    FleetDao(Handle h) {
        this.h = h;
    }

    /** Credentials by status ({@code ACTIVE}, {@code DECOMMISSIONED}). */
    public Map<String, Long> credentialsByStatus() {
        return countBy("SELECT status AS k, COUNT(*) AS n FROM credentials GROUP BY status");
    }

    /** Credential versions by state; {@code idx_versions_state} leads with the state, so PostgreSQL can count from the index. */
    public Map<String, Long> versionsByState() {
        return countBy("SELECT state AS k, COUNT(*) AS n FROM credential_versions GROUP BY state");
    }

    /**
     * Credentials whose latest finished rotation FAILED: the same rule as {@link RotationDao#latestFailed},
     * counted. Starts from the FAILED rotations ({@code idx_rotations_state}) and probes each credential's
     * later rotations through {@code idx_rotations_credential}.
     */
    public long credentialsWithFailedRotation() {
        return h.createQuery("SELECT COUNT(DISTINCT r.credential_id) FROM rotations r WHERE r.state = 'FAILED' "
                        + "AND NOT EXISTS (SELECT 1 FROM rotations s WHERE s.credential_id = r.credential_id "
                        + "AND s.state <> 'RUNNING' AND s.started_at > r.started_at)")
                .mapTo(Long.class).one();
    }

    /** Rotations not finished yet, across every node. */
    public long rotationsRunning() {
        return h.createQuery("SELECT COUNT(*) FROM rotations WHERE state = 'RUNNING'").mapTo(Long.class).one();
    }

    /** Superseded versions whose removal from a target failed and is still outstanding (as {@link VersionDao#failedRevocations}). */
    public long failedRevocations() {
        return h.createQuery("SELECT COUNT(*) FROM credential_versions WHERE state IN ('PREVIOUS', 'REVOKED', 'FAILED') "
                        + "AND revoke_error IS NOT NULL")
                .mapTo(Long.class).one();
    }

    /** The earliest next rotation of an ACTIVE credential: the first entries of {@code idx_credentials_next_rotation}. */
    public Optional<Instant> earliestNextRotation() {
        return h.createQuery("SELECT next_rotation_at FROM credentials WHERE status = 'ACTIVE' "
                        + "AND next_rotation_at IS NOT NULL ORDER BY next_rotation_at LIMIT 1")
                .map((rs, ctx) -> instant(rs.getTimestamp(1))).findFirst();
    }

    /** ACTIVE credentials whose rotation was due before {@code cutoff}: a range of {@code idx_credentials_next_rotation}. */
    public long overdue(Instant cutoff) {
        return h.createQuery("SELECT COUNT(*) FROM credentials WHERE next_rotation_at < :cutoff AND status = 'ACTIVE'")
                .bind("cutoff", cutoff).mapTo(Long.class).one();
    }

    /**
     * When the latest successful rotation finished. A rotation succeeds in the transaction that
     * promotes its version, with the same instant, so this is the latest {@code promoted_at} of a
     * CURRENT version: bounded by the fleet, where the SUCCEEDED rotations grow with every rotation
     * ever run and have no index on their finish time. (A decommissioned credential's last rotation no
     * longer counts; it is no longer rotated either.)
     */
    public Optional<Instant> lastSuccessfulRotation() {
        return h.createQuery("SELECT MAX(promoted_at) FROM credential_versions WHERE state = 'CURRENT'")
                .map((rs, ctx) -> instant(rs.getTimestamp(1))).findFirst();
    }

    /**
     * The earliest notAfter among the unrevoked certificates of CURRENT versions, per CA. One probe per
     * CA generation, walking {@code idx_issued_ca_state} in notAfter order from the start and stopping
     * at the first certificate that belongs to a CURRENT version.
     */
    public Map<String, Instant> earliestCurrentCertificateExpiry() {
        List<Map.Entry<String, Integer>> generations = h.createQuery(
                        "SELECT name, generation FROM certificate_authorities ORDER BY name, generation")
                .map((rs, ctx) -> Map.entry(rs.getString("name"), rs.getInt("generation"))).list();
        Map<String, Instant> out = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> g : generations) {
            h.createQuery("SELECT i.not_after FROM issued_certificates i WHERE i.ca_name = :ca AND i.ca_generation = :g "
                            + "AND i.revoked_at IS NULL AND EXISTS (SELECT 1 FROM credential_versions v "
                            + "WHERE v.credential_id = i.credential_id AND v.version = i.version AND v.state = 'CURRENT') "
                            + "ORDER BY i.not_after LIMIT 1")
                    .bind("ca", g.getKey()).bind("g", g.getValue())
                    .map((rs, ctx) -> instant(rs.getTimestamp(1))).findFirst()
                    .ifPresent(at -> out.merge(g.getKey(), at, (a, b) -> a.isBefore(b) ? a : b));
        }
        return out;
    }

    /** The certificates of the CA generations in use: ACTIVE and RETIRING. */
    public List<CaCertificate> caCertificatesInUse() {
        return h.createQuery("SELECT name, generation, state, certificate FROM certificate_authorities "
                        + "WHERE state IN ('ACTIVE', 'RETIRING') ORDER BY name, generation")
                .map((rs, ctx) -> new CaCertificate(rs.getString("name"), rs.getInt("generation"),
                        rs.getString("state"), rs.getString("certificate")))
                .list();
    }

    /** ACTIVE credentials with their agent's owner, next rotation and CURRENT version, in id order, at most {@code limit}. */
    public List<CredentialSchedule> activeSchedules(int limit) {
        return h.createQuery("SELECT c.id, c.agent_id, a.owner, c.next_rotation_at, v.version FROM credentials c "
                        + "JOIN agents a ON a.id = c.agent_id "
                        + "LEFT JOIN credential_versions v ON v.credential_id = c.id AND v.state = 'CURRENT' "
                        + "WHERE c.status = 'ACTIVE' ORDER BY c.id LIMIT :limit")
                .bind("limit", limit)
                .map((rs, ctx) -> new CredentialSchedule(rs.getString(1), rs.getString(2), rs.getString(3),
                        instant(rs.getTimestamp(4)), (Integer) rs.getObject(5)))
                .list();
    }

    /** ACTIVE credentials by type ({@code api-key}, {@code password}, ...): one GROUP BY. */
    public Map<String, Long> activeCredentialsByType() {
        return countBy("SELECT type AS k, COUNT(*) AS n FROM credentials WHERE status = 'ACTIVE' GROUP BY type ORDER BY type");
    }

    /**
     * ACTIVE credentials by their agent's owner, the {@code limit} owners with most first (ties by owner): one
     * GROUP BY in the database, so a fleet of any size answers at most {@code limit} rows.
     */
    public Map<String, Long> activeCredentialsByOwner(int limit) {
        Map<String, Long> out = new LinkedHashMap<>();
        h.createQuery("SELECT a.owner AS k, COUNT(*) AS n FROM credentials c JOIN agents a ON a.id = c.agent_id "
                        + "WHERE c.status = 'ACTIVE' GROUP BY a.owner ORDER BY n DESC, a.owner LIMIT :limit")
                .bind("limit", limit)
                .map((rs, ctx) -> Map.entry(rs.getString("k"), rs.getLong("n")))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** How many owners have at least one ACTIVE credential. */
    public long ownersWithActiveCredentials() {
        return h.createQuery("SELECT COUNT(DISTINCT a.owner) FROM credentials c JOIN agents a ON a.id = c.agent_id "
                        + "WHERE c.status = 'ACTIVE'")
                .mapTo(Long.class).one();
    }

    private Map<String, Long> countBy(String sql) {
        Map<String, Long> out = new LinkedHashMap<>();
        h.createQuery(sql).map((rs, ctx) -> Map.entry(rs.getString("k"), rs.getLong("n")))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
