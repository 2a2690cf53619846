package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.Optional;

/** Operator bearer tokens, stored as SHA-256 digests. */
public final class TokenDao {
    /**
     * The PostgreSQL channel a trigger on {@code api_tokens} notifies after every statement that changes it
     * (migration 23-cache-notify), whichever node or tool ran it.
     */
    public static final String CHANGES_CHANNEL = "rotakey_api_tokens";

    /** A token's name and role, found by its digest. */
    public record TokenRecord(String name, String role) {
    }

    private final Handle h;

    TokenDao(Handle h) {
        this.h = h;
    }

    public Optional<TokenRecord> findActive(String digest) {
        return h.createQuery("SELECT name, role FROM api_tokens WHERE digest = :d AND revoked_at IS NULL")
                .bind("d", digest)
                .map((rs, ctx) -> new TokenRecord(rs.getString("name"), rs.getString("role")))
                .findOne();
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

    /** Stores {@code digest} under {@code name}, replacing an older digest of that name. */
    public void upsert(String name, String digest, String role, Instant at) {
        int n = h.createUpdate("UPDATE api_tokens SET digest = :d, role = :r, created_at = :at, revoked_at = NULL WHERE name = :n")
                .bind("n", name).bind("d", digest).bind("r", role).bind("at", at).execute();
        if (n == 0) {
            h.createUpdate("INSERT INTO api_tokens (name, digest, role, created_at) VALUES (:n, :d, :r, :at)")
                    .bind("n", name).bind("d", digest).bind("r", role).bind("at", at).execute();
        }
    }
}
