package dev.rotakey.ca;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;

/** Extension values shared by the certificate and CRL builders: key identifiers and the issuer name of a CA certificate. */
final class CaExtensions {
    private CaExtensions() {
    }

    static SubjectKeyIdentifier subjectKeyIdentifier(PublicKey key) {
        try {
            return new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this Java runtime", e);
        }
    }

    /**
     * The key identifier of {@code issuer} exactly as its own certificate states it, so that path
     * building matches it byte for byte; computed from the key when the certificate has none.
     */
    static AuthorityKeyIdentifier authorityKeyIdentifier(X509Certificate issuer) {
        byte[] extension = issuer.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        byte[] id = extension == null
                ? subjectKeyIdentifier(issuer.getPublicKey()).getKeyIdentifier()
                : SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(extension).getOctets()).getKeyIdentifier();
        return new AuthorityKeyIdentifier(id);
    }

    /** The subject of {@code certificate} with its exact encoding, to be used as an issuer name. */
    static X500Name subject(X509Certificate certificate) {
        return X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    }
}
