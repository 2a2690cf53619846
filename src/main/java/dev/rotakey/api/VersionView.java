package dev.rotakey.api;

import dev.rotakey.core.CredentialVersion;

import java.time.Instant;

/** A credential version as the API shows it: state and times, never material or digests. */
public record VersionView(
        int version,
        String state,
        Instant createdAt,
        Instant promotedAt,
        Instant revokeAfter,
        Instant revokedAt,
        String revokeReason,
        String revokeError) {

    public static VersionView of(CredentialVersion v) {
        return new VersionView(v.version(), v.state().name(), v.createdAt(), v.promotedAt(), v.revokeAfter(),
                v.revokedAt(), v.revokeReason() == null ? null : v.revokeReason().name().toLowerCase(java.util.Locale.ROOT),
                v.revokeError());
    }
}
