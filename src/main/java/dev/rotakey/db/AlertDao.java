package dev.rotakey.db;

import com.fasterxml.jackson.core.type.TypeReference;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.rotakey.db.AgentDao.instant;

/**
 * The alert conditions' queries (each bounded by a limit and served by an index, so an evaluation
 * costs the same at 100 or 100,000 credentials) and the ledger of alerts firing now, whose
 * conditional writes let exactly one node send each notification.
 */
public final class AlertDao {
    /** A subject of an alert condition: the credential (and version), its agent and the agent's owner, and a detail. */
    public record Subject(String credentialId, int version, String agentId, String owner, String credentialType,
                          Instant at, String detail, String extra) {
    }

    /** A row of the ledger: an alert that is firing and has been notified. */
    public record Firing(String fingerprint, String condition, Map<String, String> labels, String summary,
                         String description, Instant startedAt, Instant lastNotifiedAt, int notifications) {
    }

    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {
    };
    private static final RowMapper<Firing> FIRING = (rs, ctx) -> new Firing(rs.getString("fingerprint"),
            rs.getString("condition_name"), JsonText.read(rs.getString("labels"), LABELS), rs.getString("summary"),
            rs.getString("description"), instant(rs.getTimestamp("started_at")),
            instant(rs.getTimestamp("last_notified_at")), rs.getInt("notifications"));

    /** How audit events name a credential (and, after {@code /vN}, one of its versions). */
    private static final String CREDENTIAL_SUBJECT = "credential:";

    private final Handle h;

    AlertDao(Handle h) {
        this.h = h;
    }

    /** Active credentials whose most recent finished rotation FAILED (none has succeeded since), newest first. */
    public List<Subject> failedRotations(int limit) {
        return h.createQuery("SELECT r.credential_id, r.version, c.agent_id, a.owner, c.type, r.finished_at, "
                        + "r.last_error, r.id FROM rotations r JOIN credentials c ON c.id = r.credential_id "
                        + "JOIN agents a ON a.id = c.agent_id WHERE r.state = 'FAILED' AND c.status = 'ACTIVE' "
                        + "AND NOT EXISTS (SELECT 1 FROM rotations s WHERE s.credential_id = r.credential_id "
                        + "AND s.state <> 'RUNNING' AND s.started_at > r.started_at) "
                        + "ORDER BY r.finished_at DESC, r.credential_id LIMIT :limit")
                .bind("limit", limit).map(AlertDao::subject).list();
    }

    /** Superseded versions whose removal from a target failed and is still outstanding. */
    public List<Subject> failedRevocations(int limit) {
        return h.createQuery("SELECT v.credential_id, v.version, c.agent_id, a.owner, c.type, v.revoke_after, "
                        + "v.revoke_error, CAST(v.revoke_attempts AS VARCHAR(12)) FROM credential_versions v "
                        + "JOIN credentials c ON c.id = v.credential_id JOIN agents a ON a.id = c.agent_id "
                        + "WHERE v.revoke_error IS NOT NULL AND v.state IN ('PREVIOUS', 'REVOKED', 'FAILED') "
                        + "ORDER BY v.credential_id, v.version LIMIT :limit")
                .bind("limit", limit).map(AlertDao::subject).list();
    }

    /** Active credentials whose next rotation was due before {@code dueBefore}, most overdue first. */
    public List<Subject> overdue(Instant dueBefore, int limit) {
        // LEFT JOINs (every row has its agent, version and credential, so nothing changes) pin the join order: with
        // inner joins H2 started from every agent or every CURRENT version and read the whole fleet at each
        // evaluation instead of the few rows the index on the date selects. PostgreSQL plans both alike.
        return h.createQuery("SELECT c.id, 0, c.agent_id, a.owner, c.type, c.next_rotation_at, NULL, NULL "
                        + "FROM credentials c LEFT JOIN agents a ON a.id = c.agent_id WHERE c.status = 'ACTIVE' "
                        + "AND c.next_rotation_at < :before ORDER BY c.next_rotation_at, c.id LIMIT :limit")
                .bind("before", dueBefore).bind("limit", limit).map(AlertDao::subject).list();
    }

    /** Current certificates that expire before {@code before}, soonest first; {@code detail} is the serial, {@code extra} the CA. */
    public List<Subject> expiringCertificates(Instant before, int limit) {
        // LEFT JOINs to start from the certificates by expiry: see overdue().
        return h.createQuery("SELECT i.credential_id, i.version, c.agent_id, a.owner, c.type, i.not_after, i.serial, "
                        + "i.ca_name FROM issued_certificates i LEFT JOIN credential_versions v ON v.credential_id = "
                        + "i.credential_id AND v.version = i.version LEFT JOIN credentials c ON c.id = i.credential_id "
                        + "LEFT JOIN agents a ON a.id = c.agent_id WHERE i.not_after < :before AND i.revoked_at IS NULL "
                        + "AND v.state = 'CURRENT' AND c.status = 'ACTIVE' ORDER BY i.not_after, i.serial LIMIT :limit")
                .bind("before", before).bind("limit", limit).map(AlertDao::subject).list();
    }

    /**
     * API keys that were presented for verification after being superseded or revoked, since
     * {@code since}: one row per version, with the time of the latest presentation and how many there were.
     */
    public List<Subject> revokedPresented(Instant since, int limit) {
        return h.createQuery("SELECT e.subject, MAX(e.at) AS last_at, COUNT(*) AS n FROM audit_events e "
                        + "WHERE e.action = 'api-key.revoked-presented' AND e.at >= :since GROUP BY e.subject "
                        + "ORDER BY last_at DESC, e.subject LIMIT :limit")
                .bind("since", since).bind("limit", limit)
                .map((rs, ctx) -> new Object[]{rs.getString("subject"), instant(rs.getTimestamp("last_at")), rs.getLong("n")})
                .list().stream()
                .map(row -> withOwner((String) row[0], (Instant) row[1], (Long) row[2]))
                .filter(java.util.Objects::nonNull)
                .toList();
    }

    /**
     * Usage anomalies detected since {@code since}, one row per credential and kind (the most recently detected first):
     * the latest detection's version, agent, owner and time, {@code detail} the number of detections and the latest
     * one's detail, {@code extra} the kind. Grouped by the index on {@code detected_at}, then the latest rows by id.
     */
    public List<Subject> usageAnomalies(Instant since, int limit) {
        Map<Long, Long> counts = new java.util.HashMap<>();
        h.createQuery("SELECT MAX(id) AS last_id, COUNT(*) AS n FROM usage_anomalies "
                        + "WHERE detected_at >= :since GROUP BY credential_id, kind ORDER BY last_id DESC LIMIT :limit")
                .bind("since", since).bind("limit", limit)
                .map((rs, ctx) -> Map.entry(rs.getLong(1), rs.getLong(2)))
                .forEach(e -> counts.put(e.getKey(), e.getValue()));
        if (counts.isEmpty()) {
            return List.of();
        }
        return h.createQuery("SELECT a.id, a.credential_id, a.version, a.agent_id, a.owner, a.kind, a.detail, "
                        + "a.detected_at, c.type FROM usage_anomalies a LEFT JOIN credentials c ON c.id = a.credential_id "
                        + "WHERE a.id IN (<ids>) ORDER BY a.id DESC")
                .bindList("ids", List.copyOf(counts.keySet()))
                .map((rs, ctx) -> new Subject(rs.getString("credential_id"), rs.getInt("version"),
                        rs.getString("agent_id"), rs.getString("owner"),
                        rs.getString("type") == null ? "unknown" : rs.getString("type"),
                        instant(rs.getTimestamp("detected_at")),
                        counts.get(rs.getLong("id")) + " detection(s); the latest: " + rs.getString("detail"),
                        rs.getString("kind")))
                .list();
    }

    /**
     * Versions whose action after promotion (a reload hook) failed since {@code since}, when no later action of the same
     * credential ran or failed: the latest outcome per credential is a failure. {@code detail} is the failure as
     * audited. Reads the failures only (few, by the action index), then asks once per failed credential, by the
     * subject index, whether anything came after: never the week's successes of the whole fleet.
     */
    public List<Subject> failedPromotionActions(Instant since, int limit) {
        List<Object[]> failures = h.createQuery("SELECT e.subject, e.at, e.seq, e.details FROM audit_events e "
                        + "WHERE e.action = 'target.promotion-action-failed' AND e.at >= :since ORDER BY e.seq DESC")
                .bind("since", since)
                .map((rs, ctx) -> new Object[]{rs.getString("subject"), instant(rs.getTimestamp("at")),
                        rs.getLong("seq"), rs.getString("details")})
                .list();
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<Subject> out = new java.util.ArrayList<>();
        for (Object[] e : failures) {
            String subject = (String) e[0];
            int slash = subject.lastIndexOf("/v");
            String credential = slash < 0 ? subject : subject.substring(0, slash);
            if (out.size() >= limit || !seen.add(credential) || actedSince(credential, (Long) e[2])) {
                continue;
            }
            Subject s = withOwner(subject, (Instant) e[1], 1);
            if (s != null) {
                out.add(new Subject(s.credentialId(), s.version(), s.agentId(), s.owner(), s.credentialType(), s.at(),
                        (String) e[3], s.extra()));
            }
        }
        return out;
    }

    /** Whether a promotion action of the credential ({@code credential:ID}) was audited after event {@code seq}. */
    private boolean actedSince(String credential, long seq) {
        String prefix = credential.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/v%";
        return h.createQuery("SELECT COUNT(*) FROM audit_events WHERE subject LIKE :prefix ESCAPE '\\' "
                        + "AND action IN ('target.promotion-action', 'target.promotion-action-failed') AND seq > :seq")
                .bind("prefix", prefix).bind("seq", seq).mapTo(Long.class).one() > 0;
    }

    /** The subject {@code credential:ID/vN} of a version's audit event, with the credential's agent and owner; null if it is gone. */
    private Subject withOwner(String subject, Instant at, long count) {
        int slash = subject.lastIndexOf("/v");
        if (!subject.startsWith(CREDENTIAL_SUBJECT) || slash <= CREDENTIAL_SUBJECT.length()) {
            return null;
        }
        String credentialId = subject.substring(CREDENTIAL_SUBJECT.length(), slash);
        int version;
        try {
            version = Integer.parseInt(subject.substring(slash + 2));
        } catch (NumberFormatException e) {
            return null;
        }
        return h.createQuery("SELECT c.agent_id, a.owner, c.type FROM credentials c JOIN agents a ON a.id = c.agent_id "
                        + "WHERE c.id = :id")
                .bind("id", credentialId)
                .map((rs, ctx) -> new Subject(credentialId, version, rs.getString(1), rs.getString(2), rs.getString(3),
                        at, Long.toString(count), null))
                .findOne().orElse(null);
    }

    private static Subject subject(java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
            throws java.sql.SQLException {
        return new Subject(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
                instant(rs.getTimestamp(6)), rs.getString(7), rs.getString(8));
    }

    // ------------------------------------------------------------------ the ledger

    public List<Firing> firing() {
        return h.createQuery("SELECT * FROM alerts ORDER BY started_at, fingerprint").map(FIRING).list();
    }

    /** Records a newly firing alert; false when another node recorded it first (the primary key). */
    public boolean open(Firing f) {
        return h.createUpdate("INSERT INTO alerts (fingerprint, condition_name, labels, summary, description, started_at, "
                        + "last_notified_at, notifications) SELECT :fp, :condition, :labels, :summary, :description, "
                        + ":startedAt, :notifiedAt, 1 WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE fingerprint = :fp)")
                .bind("fp", f.fingerprint()).bind("condition", f.condition()).bind("labels", JsonText.write(f.labels()))
                .bind("summary", f.summary()).bind("description", f.description()).bind("startedAt", f.startedAt())
                .bind("notifiedAt", f.lastNotifiedAt()).execute() == 1;
    }

    /** Claims a repeat notification: true only for the node whose write found {@code lastNotifiedAt} unchanged. */
    public boolean claimRepeat(String fingerprint, Instant lastNotifiedAt, Instant now, String summary, String description) {
        return h.createUpdate("UPDATE alerts SET last_notified_at = :now, notifications = notifications + 1, "
                        + "summary = :summary, description = :description "
                        + "WHERE fingerprint = :fp AND last_notified_at = :last")
                .bind("fp", fingerprint).bind("last", lastNotifiedAt).bind("now", now)
                .bind("summary", summary).bind("description", description).execute() == 1;
    }

    /** Claims the resolution of an alert: true only for the node whose delete removed the row it saw. */
    public boolean resolve(String fingerprint, Instant startedAt) {
        return h.createUpdate("DELETE FROM alerts WHERE fingerprint = :fp AND started_at = :startedAt")
                .bind("fp", fingerprint).bind("startedAt", startedAt).execute() == 1;
    }
}
