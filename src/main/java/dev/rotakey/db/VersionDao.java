package dev.rotakey.db;

import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.VersionState;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.SqlStatement;

import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.rotakey.db.AgentDao.instant;

/** Reads and writes credential versions: states, times and digests, never plaintext. */
public final class VersionDao {
    static final RowMapper<CredentialVersion> MAPPER = (rs, ctx) -> {
        String reason = rs.getString("revoke_reason");
        return new CredentialVersion(
                rs.getString("credential_id"),
                rs.getInt("version"),
                VersionState.valueOf(rs.getString("state")),
                rs.getString("digest"),
                rs.getString("digest_key_id"),
                rs.getString("rotation_id"),
                instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("promoted_at")),
                instant(rs.getTimestamp("revoke_after")),
                instant(rs.getTimestamp("revoked_at")),
                reason == null ? null : RevocationReason.valueOf(reason),
                rs.getInt("revoke_attempts"),
                rs.getString("revoke_error"));
    };

    private final Handle h;

    VersionDao(Handle h) {
        this.h = h;
    }

    private static final String INSERT = "INSERT INTO credential_versions (credential_id, version, state, digest, "
            + "digest_key_id, rotation_id, created_at, promoted_at, revoke_after, revoked_at, revoke_reason, "
            + "revoke_attempts, revoke_error) VALUES (:credentialId, :version, :state, :digest, :digestKeyId, :rotationId, "
            + ":createdAt, :promotedAt, :revokeAfter, :revokedAt, :revokeReason, :revokeAttempts, :revokeError)";
    private static final String UPDATE = "UPDATE credential_versions SET state = :state, digest = :digest, "
            + "digest_key_id = :digestKeyId, promoted_at = :promotedAt, revoke_after = :revokeAfter, "
            + "revoked_at = :revokedAt, revoke_reason = :revokeReason, revoke_attempts = :revokeAttempts, "
            + "revoke_error = :revokeError WHERE credential_id = :credentialId AND version = :version";

    public void insert(CredentialVersion v) {
        bind(h.createUpdate(INSERT), v).execute();
    }

    /** Inserts many versions (of different credentials) in one batch. */
    public void insertAll(List<CredentialVersion> versions) {
        if (versions.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch(INSERT);
        versions.forEach(v -> bind(batch, v).add());
        batch.execute();
    }

    /** Writes every mutable column of {@code v}. */
    public void update(CredentialVersion v) {
        if (bind(h.createUpdate(UPDATE), v).execute() != 1) {
            throw new IllegalStateException("version " + v.version() + " of " + v.credentialId() + " does not exist");
        }
    }

    /** {@link #update} of many versions in one batch. */
    public void updateAll(List<CredentialVersion> versions) {
        if (versions.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch(UPDATE);
        versions.forEach(v -> bind(batch, v).add());
        int[] counts = batch.execute();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] != 1) {
                CredentialVersion v = versions.get(i);
                throw new IllegalStateException("version " + v.version() + " of " + v.credentialId() + " does not exist");
            }
        }
    }

    private static <S extends SqlStatement<S>> S bind(S statement, CredentialVersion v) {
        return statement.bindMethods(v)
                .bind("state", v.state().name())
                .bind("revokeReason", v.revokeReason() == null ? null : v.revokeReason().name());
    }

    /**
     * Records (or, with null, clears) the alias of the leaf key that version {@code version} keeps in
     * the key backend, so that revocation can destroy it.
     */
    public void setKeyRef(String credentialId, int version, String alias) {
        h.createUpdate("UPDATE credential_versions SET key_ref = :alias WHERE credential_id = :id AND version = :v")
                .bind("alias", alias).bind("id", credentialId).bind("v", version).execute();
    }

    /** Every leaf key alias a version records, in any backend. */
    public java.util.Set<String> keyRefs() {
        return new java.util.HashSet<>(h.createQuery("SELECT key_ref FROM credential_versions WHERE key_ref IS NOT NULL")
                .mapTo(String.class).list());
    }

    /** The alias of the leaf key version {@code version} keeps in the key backend, if any. */
    public Optional<String> keyRef(String credentialId, int version) {
        return h.createQuery("SELECT key_ref FROM credential_versions WHERE credential_id = :id AND version = :v")
                .bind("id", credentialId).bind("v", version).mapTo(String.class).findOne()
                .filter(java.util.Objects::nonNull);
    }

    public List<CredentialVersion> ofCredential(String credentialId) {
        return h.createQuery("SELECT * FROM credential_versions WHERE credential_id = :id ORDER BY version")
                .bind("id", credentialId).map(MAPPER).list();
    }

    /** The versions of several credentials in one query (list pages), by credential id. */
    public Map<String, List<CredentialVersion>> ofCredentials(Collection<String> credentialIds) {
        Map<String, List<CredentialVersion>> out = new LinkedHashMap<>();
        if (credentialIds.isEmpty()) {
            return out;
        }
        h.createQuery("SELECT * FROM credential_versions WHERE credential_id IN (<ids>) ORDER BY credential_id, version")
                .bindList("ids", List.copyOf(credentialIds)).map(MAPPER)
                .forEach(v -> out.computeIfAbsent(v.credentialId(), k -> new java.util.ArrayList<>()).add(v));
        return out;
    }

    /**
     * The versions of a page of credentials, by credential id: those with ids from {@code first} to {@code last}
     * (of {@code agentId}, if given), which is the page, since pages are taken in id order. A range of the index,
     * where an {@code IN} list of a thousand ids made H2 compare every row it read with every id of the list.
     */
    public Map<String, List<CredentialVersion>> ofCredentialRange(String agentId, String first, String last) {
        Map<String, List<CredentialVersion>> out = new LinkedHashMap<>();
        // Driven from the credentials (a LEFT JOIN pins H2's join order), then each one's versions by primary key.
        String sql = agentId == null
                ? "SELECT * FROM credential_versions WHERE credential_id BETWEEN :first AND :last "
                        + "ORDER BY credential_id, version"
                : "SELECT v.* FROM credentials c LEFT JOIN credential_versions v ON v.credential_id = c.id "
                        + "WHERE c.agent_id = :agent AND c.id BETWEEN :first AND :last AND v.version IS NOT NULL "
                        + "ORDER BY v.credential_id, v.version";
        h.createQuery(sql).bind("first", first).bind("last", last).bind("agent", agentId).map(MAPPER)
                .forEach(v -> out.computeIfAbsent(v.credentialId(), k -> new java.util.ArrayList<>()).add(v));
        return out;
    }

    public Optional<CredentialVersion> find(String credentialId, int version) {
        return h.createQuery("SELECT * FROM credential_versions WHERE credential_id = :id AND version = :v")
                .bind("id", credentialId).bind("v", version).map(MAPPER).findOne();
    }

    public int maxVersion(String credentialId) {
        return h.createQuery("SELECT COALESCE(MAX(version), 0) FROM credential_versions WHERE credential_id = :id")
                .bind("id", credentialId).mapTo(Integer.class).one();
    }

    /** The version whose digest is one of {@code digests} (one per configured backend), if any. */
    public Optional<CredentialVersion> findByDigest(Collection<String> digests) {
        if (digests.isEmpty()) {
            return Optional.empty();
        }
        return h.createQuery("SELECT * FROM credential_versions WHERE digest IN (<digests>)")
                .bindList("digests", List.copyOf(digests)).map(MAPPER).findFirst();
    }

    /** PREVIOUS versions whose grace period is over, oldest first. */
    public List<CredentialVersion> revocationsDue(Instant now, int limit) {
        return h.createQuery("SELECT * FROM credential_versions WHERE state = 'PREVIOUS' AND revoke_after <= :now "
                        + "ORDER BY revoke_after LIMIT :limit")
                .bind("now", now).bind("limit", limit).map(MAPPER).list();
    }

    /**
     * PENDING versions with no RUNNING rotation of their credential: left by a clean-up that ended before the
     * version was marked FAILED (a defect of earlier releases), and repaired at start-up.
     */
    public List<CredentialVersion> strandedPending(int limit) {
        return h.createQuery("SELECT * FROM credential_versions v WHERE v.state = 'PENDING' AND NOT EXISTS "
                        + "(SELECT 1 FROM rotations r WHERE r.credential_id = v.credential_id AND r.state = 'RUNNING') "
                        + "ORDER BY v.credential_id, v.version LIMIT :limit")
                .bind("limit", limit).map(MAPPER).list();
    }

    /**
     * Versions whose removal from a target failed and is retried, by credential and version after
     * ({@code afterCredential}, {@code afterVersion}): rescheduled at start-up, a page at a time.
     */
    public List<CredentialVersion> outstandingRemovals(String afterCredential, int afterVersion, int limit) {
        return h.createQuery("SELECT * FROM credential_versions WHERE state IN ('PREVIOUS', 'REVOKED', 'FAILED') "
                        + "AND revoke_error IS NOT NULL AND (credential_id > :c OR (credential_id = :c AND version > :v)) "
                        + "ORDER BY credential_id, version LIMIT :limit")
                .bind("c", afterCredential).bind("v", afterVersion).bind("limit", limit).map(MAPPER).list();
    }

    /** Versions whose removal from a target has failed and is still outstanding. */
    public long failedRevocations() {
        return h.createQuery("SELECT COUNT(*) FROM credential_versions WHERE state IN ('PREVIOUS', 'REVOKED', 'FAILED') AND revoke_error IS NOT NULL")
                .mapTo(Long.class).one();
    }

    public Map<String, Long> countByState() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (VersionState s : VersionState.values()) {
            out.put(s.name(), 0L);
        }
        h.createQuery("SELECT state, COUNT(*) AS n FROM credential_versions GROUP BY state")
                .map((rs, ctx) -> Map.entry(rs.getString("state"), rs.getLong("n")))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
