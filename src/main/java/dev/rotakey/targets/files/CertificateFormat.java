package dev.rotakey.targets.files;

import dev.rotakey.targets.BindingUse;
import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetBinding;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * How a certificate is written into its directory ({@code format}): besides {@code cert.pem} and {@code chain.pem},
 * which every format writes (cert.pem stays the commit point and what a revocation recognises), {@code pem} (the
 * default) adds the key as {@code key.pem} or {@code key.uri}; {@code pkcs12} adds {@code keystore.p12} (leaf, key and
 * chain, for Java agents) with its password in {@code keystore.pass}, or with an empty password when
 * {@code pkcs12Password: none}; {@code combined} adds {@code combined.pem} (leaf, chain, then key: what HAProxy and
 * similar proxies read). The last two need the key itself, so a certificate whose key stays in the HSM cannot use them.
 */
enum CertificateFormat {
    PEM, PKCS12, COMBINED;

    static final String PKCS12_PASSWORD = "pkcs12Password";
    static final String KEYSTORE = "keystore.p12";
    static final String KEYSTORE_PASSWORD = "keystore.pass";
    static final String COMBINED_PEM = "combined.pem";

    /** The format a binding asks for, {@link #PEM} by default. */
    static CertificateFormat of(TargetBinding binding) {
        String text = binding.param(SecretFormat.FORMAT);
        CertificateFormat format = text == null ? PEM : switch (text) {
            case "pem" -> PEM;
            case "pkcs12" -> PKCS12;
            case "combined" -> COMBINED;
            default -> throw new InvalidBindingException(SecretFormat.FORMAT, "'" + text + "' is not a format: a "
                    + "certificate is written as 'pem' (the default), 'pkcs12' or 'combined'");
        };
        String password = binding.param(PKCS12_PASSWORD);
        if (password != null && format != PKCS12) {
            throw new InvalidBindingException(PKCS12_PASSWORD, "applies to format 'pkcs12' only");
        }
        if (password != null && !password.equals("file") && !password.equals("none")) {
            throw new InvalidBindingException(PKCS12_PASSWORD, "must be 'file' (a random password in "
                    + KEYSTORE_PASSWORD + ", the default) or 'none' (an empty password)");
        }
        return format;
    }

    /** Whether the PKCS#12 file's password is written beside it (else it is empty). */
    static boolean passwordFile(TargetBinding binding) {
        return !"none".equals(binding.param(PKCS12_PASSWORD));
    }

    /** Refuses a format that needs the private key for a certificate whose key never leaves the backend. */
    void validateUse(BindingUse use) {
        if (this != PEM && !use.privateKeyExported()) {
            throw new InvalidBindingException(SecretFormat.FORMAT, "'" + wireName() + "' writes the private key into "
                    + "a file, but this certificate's key stays in the key backend (keyCustody: hsm); use 'pem', which "
                    + "writes its PKCS#11 URI to key.uri, or keyCustody: export");
        }
    }

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The key-bearing files of this format, in the order a delivery writes them (before chain.pem and cert.pem). */
    List<String> keyFiles(CertificateMaterial material, TargetBinding binding) {
        return switch (this) {
            case PEM -> List.of(material.privateKeyPem() != null ? CertificateFiles.KEY : CertificateFiles.KEY_URI);
            case PKCS12 -> passwordFile(binding) ? List.of(KEYSTORE_PASSWORD, KEYSTORE) : List.of(KEYSTORE);
            case COMBINED -> List.of(COMBINED_PEM);
        };
    }

    /** {@code combined.pem}'s content: the leaf, the chain, the key (the caller clears it). */
    static byte[] combined(CertificateMaterial material) {
        byte[] certificate = withNewline(material.certificatePem()).getBytes(StandardCharsets.UTF_8);
        byte[] chain = withNewline(material.chainPem()).getBytes(StandardCharsets.UTF_8);
        byte[] key = material.privateKeyPem().utf8();
        byte[] out = new byte[certificate.length + chain.length + key.length];
        System.arraycopy(certificate, 0, out, 0, certificate.length);
        System.arraycopy(chain, 0, out, certificate.length, chain.length);
        System.arraycopy(key, 0, out, certificate.length + chain.length, key.length);
        java.util.Arrays.fill(key, (byte) 0);
        return out;
    }

    private static String withNewline(String pem) {
        return pem.endsWith("\n") ? pem : pem + "\n";
    }
}
