package dev.rotakey.target;

import dev.rotakey.core.Secret;

/**
 * One version of a credential on its way to one target binding. The {@link Secret} is the
 * plaintext material; it is only ever written to the target itself.
 */
public record Delivery(
        String agentId,
        String credentialId,
        String credentialType,
        int version,
        TargetBinding binding,
        Secret material) {

    @Override
    public String toString() {
        return "Delivery{credential=" + credentialId + ", version=" + version + ", binding=" + binding + "}";
    }
}
