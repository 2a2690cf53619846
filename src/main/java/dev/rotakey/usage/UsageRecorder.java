package dev.rotakey.usage;

/**
 * Told of every use of a credential that Rotakey sees (an API-key verification, an acknowledgement, an mTLS
 * authentication): what the usage telemetry counts. Called on the request's thread, so an implementation must be cheap
 * and must never block on the database.
 */
@FunctionalInterface
public interface UsageRecorder {
    void used(CredentialUse use);

    /** Records nothing: telemetry off. */
    UsageRecorder NONE = use -> {
    };
}
