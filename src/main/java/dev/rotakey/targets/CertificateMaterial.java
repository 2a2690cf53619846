package dev.rotakey.targets;

import dev.rotakey.core.Secret;

/**
 * What a certificate version delivers: the leaf certificate and its chain (public, PEM), and either
 * the leaf's private key as PKCS#8 PEM ({@code export} custody, a secret) or the RFC 7512 PKCS#11
 * URI of a key that stays in the key backend ({@code hsm} custody). Exactly one of the two is set.
 *
 * @param certificatePem the leaf certificate alone
 * @param chainPem       the issuing CA's certificate first, then its parents up to the root
 * @param privateKeyPem  {@code -----BEGIN PRIVATE KEY-----} PEM, or null with {@code hsm} custody
 * @param privateKeyUri  {@code pkcs11:token=…;object=…;type=private}, or null with {@code export} custody
 */
public record CertificateMaterial(String certificatePem, String chainPem, Secret privateKeyPem, String privateKeyUri) {

    public CertificateMaterial {
        if ((privateKeyPem == null) == (privateKeyUri == null)) {
            throw new IllegalArgumentException("exactly one of a private key PEM or a key URI");
        }
    }

    /** Wipes the private key, if this material carries one. */
    public void destroy() {
        if (privateKeyPem != null) {
            privateKeyPem.destroy();
        }
    }

    @Override
    public String toString() {
        return "CertificateMaterial{key=" + (privateKeyPem != null ? "pem[redacted]" : privateKeyUri) + "}";
    }
}
