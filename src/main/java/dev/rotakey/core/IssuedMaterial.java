package dev.rotakey.core;

import dev.rotakey.targets.CertificateMaterial;

/**
 * Newly generated material for one version: the plaintext (for a certificate, the certificate PEM,
 * with the chain and private key in {@link #certificate()}), held only in memory until it has been
 * delivered, and the backend digest that is all the database ever sees of it. {@link #keyRef()} is
 * the alias of a leaf key kept in the backend ({@code hsm} custody), else null.
 */
public record IssuedMaterial(Secret secret, String digest, String digestKeyId, CertificateMaterial certificate,
                             String keyRef) {

    public IssuedMaterial(Secret secret, String digest, String digestKeyId) {
        this(secret, digest, digestKeyId, null, null);
    }

    /** Wipes every secret this material holds. */
    public void destroy() {
        secret.destroy();
        if (certificate != null) {
            certificate.destroy();
        }
    }

    public boolean isDestroyed() {
        return secret.isDestroyed();
    }

    @Override
    public String toString() {
        return "IssuedMaterial{digestKeyId=" + digestKeyId + (keyRef == null ? "" : ", keyRef=" + keyRef) + "}";
    }
}
