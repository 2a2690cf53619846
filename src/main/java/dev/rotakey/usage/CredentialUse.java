package dev.rotakey.usage;

import dev.rotakey.core.VersionState;

import java.time.Instant;

/**
 * One use of a credential that Rotakey saw: which version, in which state, whose, who relied on it and from where, and
 * whether it was allowed ({@code refusal} null) or refused and why. Identifiers only, never the secret.
 *
 * @param relyingService who relied on it: the verifier token's name, the acknowledging token or agent
 * @param sourceAddress  the caller's address as the container saw it (never resolved), or null
 * @param refusal        null when the use was allowed, else the verify endpoint's reason ({@code revoked}, {@code scope}, …)
 */
public record CredentialUse(String credentialId, int version, VersionState state, Instant revokeAfter, String agentId,
                            String owner, String relyingService, String sourceAddress, String refusal, Instant at) {
    public boolean allowed() {
        return refusal == null;
    }
}
