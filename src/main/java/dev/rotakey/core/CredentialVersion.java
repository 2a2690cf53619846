package dev.rotakey.core;

import java.time.Instant;

/**
 * One generation of a credential's material. Holds only the backend digest of the secret, never
 * the secret itself.
 */
public record CredentialVersion(
        String credentialId,
        int version,
        VersionState state,
        String digest,
        String digestKeyId,
        String rotationId,
        Instant createdAt,
        Instant promotedAt,
        Instant revokeAfter,
        Instant revokedAt,
        RevocationReason revokeReason,
        int revokeAttempts,
        String revokeError) {

    public static CredentialVersion pending(String credentialId, int version, String digest, String digestKeyId,
                                            String rotationId, Instant now) {
        return new CredentialVersion(credentialId, version, VersionState.PENDING, digest, digestKeyId, rotationId,
                now, null, null, null, null, 0, null);
    }

    /** This version in {@code next}, refusing transitions that docs/design.md does not allow. */
    CredentialVersion moveTo(VersionState next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("version " + version + " of " + credentialId + " cannot go from "
                    + state + " to " + next);
        }
        return new CredentialVersion(credentialId, version, next, digest, digestKeyId, rotationId, createdAt,
                promotedAt, revokeAfter, revokedAt, revokeReason, revokeAttempts, revokeError);
    }

    CredentialVersion withPromotion(Instant promotedAt, Instant revokeAfter) {
        return new CredentialVersion(credentialId, version, state, digest, digestKeyId, rotationId, createdAt,
                promotedAt, revokeAfter, revokedAt, revokeReason, revokeAttempts, revokeError);
    }

    CredentialVersion withRevocation(Instant revokedAt, RevocationReason reason) {
        return new CredentialVersion(credentialId, version, state, digest, digestKeyId, rotationId, createdAt,
                promotedAt, revokeAfter, revokedAt, reason, revokeAttempts, null);
    }

    public CredentialVersion withDigest(String newDigest, String newDigestKeyId) {
        return new CredentialVersion(credentialId, version, state, newDigest, newDigestKeyId, rotationId, createdAt,
                promotedAt, revokeAfter, revokedAt, revokeReason, revokeAttempts, revokeError);
    }

    public CredentialVersion withRevokeFailure(int attempts, String error) {
        return new CredentialVersion(credentialId, version, state, digest, digestKeyId, rotationId, createdAt,
                promotedAt, revokeAfter, revokedAt, revokeReason, attempts, error);
    }
}
