package dev.rotakey.targets;

import dev.rotakey.core.Secret;

import java.util.List;

/**
 * One version of a credential on its way to one target binding. For an API key, {@link #material()}
 * is the plaintext key; for a certificate it is the certificate PEM (public, and what revocations
 * match on), and {@link #certificate()} carries the chain and the private key or its URI. Secret
 * material is only ever written to the target itself.
 *
 * <p>What Rotakey recorded about the binding comes with it: {@link #references()} are this version's own
 * recorded {@link Target#materialReference} values at this binding (empty before the first is recorded),
 * {@link #current()} is the credential's CURRENT version there (null when there is none), and
 * {@link #logins()} are the user names this version logs in with at the credential's bindings, for
 * targets that pass them on to the consumer.
 */
public record Delivery(
        String agentId,
        String credentialId,
        String credentialType,
        int version,
        TargetBinding binding,
        Secret material,
        CertificateMaterial certificate,
        List<String> references,
        VersionReferences current,
        List<Login> logins) {

    public Delivery {
        references = references == null ? List.of() : List.copyOf(references);
        logins = logins == null ? List.of() : List.copyOf(logins);
    }

    /** A delivery without anything recorded about the binding yet. */
    public Delivery(String agentId, String credentialId, String credentialType, int version, TargetBinding binding,
                    Secret material, CertificateMaterial certificate) {
        this(agentId, credentialId, credentialType, version, binding, material, certificate, List.of(), null, List.of());
    }

    /** An API-key (or other single-secret) delivery. */
    public Delivery(String agentId, String credentialId, String credentialType, int version, TargetBinding binding,
                    Secret material) {
        this(agentId, credentialId, credentialType, version, binding, material, null);
    }

    /** The same delivery with what Rotakey recorded about the binding and the version's logins. */
    public Delivery withRecords(List<String> references, VersionReferences current, List<Login> logins) {
        return new Delivery(agentId, credentialId, credentialType, version, binding, material, certificate, references,
                current, logins);
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
