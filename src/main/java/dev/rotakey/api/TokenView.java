package dev.rotakey.api;

import dev.rotakey.db.TokenDao;

import java.time.Instant;

/**
 * A bearer token as {@code GET /api/v1/tokens} shows it: its name, role, life and last use; never the secret or its
 * digest. {@code previousValidUntil} is set after a rotation, while the secret it replaced still works.
 */
public record TokenView(String name, String role, String owner, Instant createdAt, Instant expiresAt, Instant lastUsedAt,
                        Instant previousValidUntil, Instant revokedAt, boolean active) {

    public static TokenView of(TokenDao.TokenInfo t, Instant now) {
        boolean active = t.revokedAt() == null && (t.expiresAt() == null || t.expiresAt().isAfter(now));
        Instant previous = t.previousValidUntil() != null && t.previousValidUntil().isAfter(now) ? t.previousValidUntil() : null;
        return new TokenView(t.name(), t.role(), t.owner(), t.createdAt(), t.expiresAt(), t.lastUsedAt(), previous, t.revokedAt(),
                active);
    }
}
