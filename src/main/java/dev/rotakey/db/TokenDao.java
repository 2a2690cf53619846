package dev.rotakey.db;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Operator bearer tokens, stored as SHA-256 digests. */
public final class TokenDao {
    /**
     * The PostgreSQL channel a trigger on {@code api_tokens} notifies after every statement that changes it
     * (migration 23-cache-notify), whichever node or tool ran it.
     */
    public static final String CHANGES_CHANNEL = "rotakey_api_tokens";

    /**
     * A token's name and role, found by its digest, until when that digest is valid (null: until revoked), and the
     * owner it is bound to (null: none).
     */
    public record TokenRecord(String name, String role, Instant validUntil, String owner) {
        public TokenRecord(String name, String role) {
            this(name, role, null, null);
        }
    }

    /** What may be shown of a token: never its digest. */
    public record TokenInfo(String name, String role, String owner, Instant createdAt, Instant expiresAt,
                            Instant lastUsedAt, Instant previousValidUntil, Instant revokedAt) {
    }

    private final Handle h;

    TokenDao(Handle h) {
        this.h = h;
    }

    /**
     * The token whose current digest is {@code digest} and has not expired by {@code now}, or whose previous digest
     * (before its last rotation) is, within that rotation's grace period.
     */
    public Optional<TokenRecord> findActive(String digest, Instant now) {
        Optional<TokenRecord> current = h.createQuery("SELECT name, role, expires_at, owner FROM api_tokens WHERE digest = :d "
                        + "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)")
                .bind("d", digest).bind("now", now)
                .map((rs, ctx) -> new TokenRecord(rs.getString(1), rs.getString(2), AgentDao.instant(rs.getTimestamp(3)),
                        rs.getString(4)))
                .findOne();
        if (current.isPresent()) {
            return current;
        }
        return h.createQuery("SELECT name, role, expires_at, previous_until, owner FROM api_tokens WHERE previous_digest = :d "
                        + "AND revoked_at IS NULL AND previous_until > :now AND (expires_at IS NULL OR expires_at > :now)")
                .bind("d", digest).bind("now", now)
                .map((rs, ctx) -> {
                    Instant expires = AgentDao.instant(rs.getTimestamp(3));
                    Instant until = AgentDao.instant(rs.getTimestamp(4));
                    return new TokenRecord(rs.getString(1), rs.getString(2),
                            expires != null && expires.isBefore(until) ? expires : until, rs.getString(5));
                })
                .findOne();
    }

    /** Every token, revoked ones too, by name. */
    public List<TokenInfo> list() {
        return h.createQuery("SELECT name, role, owner, created_at, expires_at, last_used_at, previous_until, revoked_at "
                        + "FROM api_tokens ORDER BY name")
                .map((rs, ctx) -> new TokenInfo(rs.getString(1), rs.getString(2), rs.getString(3),
                        AgentDao.instant(rs.getTimestamp(4)), AgentDao.instant(rs.getTimestamp(5)),
                        AgentDao.instant(rs.getTimestamp(6)), AgentDao.instant(rs.getTimestamp(7)),
                        AgentDao.instant(rs.getTimestamp(8))))
                .list();
    }

    /**
     * Gives the active token {@code name} the digest {@code digest}; its digest until now stays valid until
     * {@code previousUntil}.
     *
     * @return whether there was such a token
     */
    public boolean rotate(String name, String digest, Instant previousUntil) {
        return h.createUpdate("UPDATE api_tokens SET previous_digest = digest, previous_until = :until, digest = :d "
                        + "WHERE name = :n AND revoked_at IS NULL")
                .bind("n", name).bind("d", digest).bind("until", previousUntil).execute() == 1;
    }

    /** Records when each token was last used, where that is later than what is recorded. */
    public void markUsed(Map<String, Instant> lastUseByName) {
        if (lastUseByName.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch("UPDATE api_tokens SET last_used_at = :at WHERE name = :n "
                + "AND (last_used_at IS NULL OR last_used_at < :at)");
        lastUseByName.forEach((name, at) -> batch.bind("n", name).bind("at", at).add());
        batch.execute();
    }

    /** An active token's role and the role its calls have needed so far (null: none recorded). */
    public record Need(String role, String neededRole) {
    }

    /**
     * The role and recorded need of the active token {@code name}, its row locked until the transaction ends, so that
     * two nodes merging their tokens' needs do not overwrite each other's.
     */
    public Optional<Need> needForUpdate(String name) {
        return h.createQuery("SELECT role, needed_role FROM api_tokens WHERE name = :n AND revoked_at IS NULL FOR UPDATE")
                .bind("n", name).map((rs, ctx) -> new Need(rs.getString(1), rs.getString(2))).findOne();
    }

    /** Records the role the calls of the active token {@code name} have needed. */
    public void setNeededRole(String name, String neededRole) {
        h.createUpdate("UPDATE api_tokens SET needed_role = :r WHERE name = :n AND revoked_at IS NULL")
                .bind("n", name).bind("r", neededRole).execute();
    }

    public boolean exists(String name) {
        return h.createQuery("SELECT COUNT(*) FROM api_tokens WHERE name = :n AND revoked_at IS NULL")
                .bind("n", name).mapTo(Integer.class).one() > 0;
    }

    /** When the active token of that name was created (or last replaced); empty when there is none. */
    public Optional<Instant> activeSince(String name) {
        return h.createQuery("SELECT created_at FROM api_tokens WHERE name = :n AND revoked_at IS NULL")
                .bind("n", name).mapTo(Instant.class).findFirst();
    }

    /** @return whether an active token of that name was revoked */
    public boolean revoke(String name, Instant at) {
        return h.createUpdate("UPDATE api_tokens SET revoked_at = :at WHERE name = :n AND revoked_at IS NULL")
                .bind("n", name).bind("at", at).execute() == 1;
    }

    /** Stores {@code digest} under {@code name}, replacing an older digest of that name; no expiry. */
    public void upsert(String name, String digest, String role, Instant at) {
        upsert(name, digest, role, at, null, null);
    }

    /**
     * Stores {@code digest} under {@code name}, replacing whatever the name held, valid until {@code expiresAt} (null:
     * until revoked) and bound to {@code owner} (null: none).
     */
    public void upsert(String name, String digest, String role, Instant at, Instant expiresAt, String owner) {
        int n = h.createUpdate("UPDATE api_tokens SET digest = :d, role = :r, created_at = :at, revoked_at = NULL, "
                        + "expires_at = :exp, owner = :owner, last_used_at = NULL, needed_role = NULL, previous_digest = NULL, "
                        + "previous_until = NULL WHERE name = :n")
                .bind("n", name).bind("d", digest).bind("r", role).bind("at", at).bind("exp", expiresAt)
                .bind("owner", owner).execute();
        if (n == 0) {
            h.createUpdate("INSERT INTO api_tokens (name, digest, role, created_at, expires_at, owner) "
                            + "VALUES (:n, :d, :r, :at, :exp, :owner)")
                    .bind("n", name).bind("d", digest).bind("r", role).bind("at", at).bind("exp", expiresAt)
                    .bind("owner", owner).execute();
        }
    }
}
