package dev.rotakey.target;

import dev.rotakey.core.Secret;

/**
 * One version of a credential on its way to one target binding. For an API key, {@link #material()}
 * is the plaintext key; for a certificate it is the certificate PEM (public, and what revocations
 * match on), and {@link #certificate()} carries the chain and the private key or its URI. Secret
 * material is only ever written to the target itself.
 */
public record Delivery(
        String agentId,
        String credentialId,
        String credentialType,
        int version,
        TargetBinding binding,
        Secret material,
        CertificateMaterial certificate) {

    /** An API-key (or other single-secret) delivery. */
    public Delivery(String agentId, String credentialId, String credentialType, int version, TargetBinding binding,
                    Secret material) {
        this(agentId, credentialId, credentialType, version, binding, material, null);
    }

    /** Whether this delivers a certificate (and {@link #certificate()} is set). */
    public boolean isCertificate() {
        return certificate != null;
    }

    @Override
    public String toString() {
        return "Delivery{credential=" + credentialId + ", version=" + version + ", binding=" + binding + "}";
    }
}
