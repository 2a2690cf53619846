package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.util.List;
import java.util.Optional;

/**
 * Reads and writes {@code binding_claims}: which credential holds each exclusive resource of a target (see
 * {@code Target.claims}). The primary key on (target, claim) is what makes two concurrent claims of one resource fail.
 */
public final class BindingClaimDao {
    /** One claim as stored. */
    public record Row(String target, String claim, String credentialId) {
    }

    private final Handle h;

    BindingClaimDao(Handle h) {
        this.h = h;
    }

    /** The credential holding a claim, if any. */
    public Optional<String> holder(String target, String claim) {
        return h.createQuery("SELECT credential_id FROM binding_claims WHERE target = :t AND claim = :c")
                .bind("t", target).bind("c", claim).mapTo(String.class).findOne();
    }

    /**
     * The holders of those of {@code claims} (target and claim, as in {@link Row}; the credential is ignored) that are
     * held, in one query that looks each up by the primary key.
     */
    public List<Row> holders(List<Row> claims) {
        if (claims.isEmpty()) {
            return List.of();
        }
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < claims.size(); i++) {
            values.append(i == 0 ? "" : ", ").append("(:t").append(i).append(", :c").append(i).append(')');
        }
        org.jdbi.v3.core.statement.Query q = h.createQuery("SELECT b.target, b.claim, b.credential_id FROM (VALUES "
                + values + ") AS wanted (t, c) JOIN binding_claims b ON b.target = wanted.t AND b.claim = wanted.c");
        for (int i = 0; i < claims.size(); i++) {
            q.bind("t" + i, claims.get(i).target()).bind("c" + i, claims.get(i).claim());
        }
        return q.map((rs, ctx) -> new Row(rs.getString("target"), rs.getString("claim"), rs.getString("credential_id")))
                .list();
    }

    /**
     * Inserts a claim; fails with the database's unique violation when another transaction holds it (or took it
     * meanwhile), which the caller turns into a conflict.
     */
    public void insert(String target, String claim, String credentialId) {
        h.createUpdate("INSERT INTO binding_claims (target, claim, credential_id) VALUES (:t, :c, :id)")
                .bind("t", target).bind("c", claim).bind("id", credentialId).execute();
    }

    /** Inserts many claims in one batch; fails as a whole when any is held (the caller's transaction rolls back). */
    public void insertAll(List<Row> rows) {
        org.jdbi.v3.core.statement.PreparedBatch batch =
                h.prepareBatch("INSERT INTO binding_claims (target, claim, credential_id) VALUES (:t, :c, :id)");
        for (Row r : rows) {
            batch.bind("t", r.target()).bind("c", r.claim()).bind("id", r.credentialId()).add();
        }
        if (!rows.isEmpty()) {
            batch.execute();
        }
    }

    /** Drops a claim, but only while {@code credentialId} still holds it. */
    public boolean release(String target, String claim, String credentialId) {
        return h.createUpdate("DELETE FROM binding_claims WHERE target = :t AND claim = :c AND credential_id = :id")
                .bind("t", target).bind("c", claim).bind("id", credentialId).execute() > 0;
    }

    /**
     * Whether a credential's claims are free for others: it is decommissioned and every version of it is gone from
     * the targets (none PENDING, CURRENT or PREVIOUS, and no revocation left failing).
     */
    public boolean released(String credentialId) {
        return h.createQuery("SELECT COUNT(*) FROM credentials c WHERE c.id = :id AND c.status = 'DECOMMISSIONED' "
                        + "AND NOT EXISTS (SELECT 1 FROM credential_versions v WHERE v.credential_id = c.id "
                        + "AND (v.state IN ('PENDING', 'CURRENT', 'PREVIOUS') OR v.revoke_error IS NOT NULL))")
                .bind("id", credentialId).mapTo(Integer.class).one() > 0;
    }

    /** Every claim: for tests and small databases (the start-up check reads them a page of credentials at a time). */
    public List<Row> all() {
        return h.createQuery("SELECT target, claim, credential_id FROM binding_claims")
                .map((rs, ctx) -> new Row(rs.getString("target"), rs.getString("claim"), rs.getString("credential_id")))
                .list();
    }

    /**
     * A page of the active credentials, in id order after {@code afterId}, for the start-up check of credentials
     * created before claims were recorded.
     */
    public List<dev.rotakey.core.Credential> activeCredentials(String afterId, int limit) {
        return h.createQuery("SELECT * FROM credentials WHERE status = 'ACTIVE' AND id > :after ORDER BY id LIMIT :limit")
                .bind("after", afterId).bind("limit", limit).map(CredentialDao.MAPPER).list();
    }

    /** The claims that any of {@code credentialIds} holds, in one query. */
    public List<Row> ofCredentials(java.util.Collection<String> credentialIds) {
        if (credentialIds.isEmpty()) {
            return List.of();
        }
        return h.createQuery("SELECT target, claim, credential_id FROM binding_claims WHERE credential_id IN (<ids>)")
                .bindList("ids", List.copyOf(credentialIds))
                .map((rs, ctx) -> new Row(rs.getString("target"), rs.getString("claim"), rs.getString("credential_id")))
                .list();
    }

    /** The claims of one credential. */
    public List<Row> ofCredential(String credentialId) {
        return h.createQuery("SELECT target, claim, credential_id FROM binding_claims WHERE credential_id = :id "
                        + "ORDER BY target, claim")
                .bind("id", credentialId)
                .map((rs, ctx) -> new Row(rs.getString("target"), rs.getString("claim"), rs.getString("credential_id")))
                .list();
    }
}
