package dev.rotakey.usage;

import java.time.Instant;

/**
 * Told of every use of a credential that Rotakey sees (an API-key verification, an acknowledgement, an mTLS
 * authentication): what the usage telemetry counts. Called on the request's thread, so an implementation must be cheap
 * and must never block on the database.
 */
public interface UsageRecorder {
    /**
     * One use.
     *
     * @param credentialId   the credential used
     * @param version        its version
     * @param relyingService who relied on it: the verifier token's name, the acknowledging token or agent
     * @param sourceAddress  the caller's address as the container saw it (never resolved), or null
     * @param allowed        whether the use was allowed (a refused use is counted as denied)
     * @param at             when
     */
    void used(String credentialId, int version, String relyingService, String sourceAddress, boolean allowed, Instant at);

    /** Records nothing: telemetry off. */
    UsageRecorder NONE = (credentialId, version, relyingService, sourceAddress, allowed, at) -> {
    };
}
