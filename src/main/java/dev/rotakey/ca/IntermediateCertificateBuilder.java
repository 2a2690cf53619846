package dev.rotakey.ca;

import dev.rotakey.backend.SigningKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Builds an intermediate CA certificate signed inside the backend by its parent's key: CA with a
 * path length limit (critical), keyCertSign and cRLSign (critical), both key identifiers, and a
 * validity that never outlives the parent's certificate.
 */
public final class IntermediateCertificateBuilder {
    private final Clock clock;

    public IntermediateCertificateBuilder(Clock clock) {
        this.clock = clock;
    }

    /** {@code pathLength} is the number of CA levels allowed below this one (0 when it only issues leaves). */
    public X509Certificate build(SigningKey parentKey, X509Certificate parentCertificate, BigInteger serial,
                                 X500Name subject, PublicKey publicKey, Duration validity, int pathLength) {
        Instant now = clock.instant();
        Instant notAfter = now.plus(validity);
        Instant parentNotAfter = parentCertificate.getNotAfter().toInstant();
        if (notAfter.isAfter(parentNotAfter)) {
            notAfter = parentNotAfter;
        }
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(CaExtensions.subject(parentCertificate), serial,
                    Date.from(now.minus(RootCertificateBuilder.BACKDATE)), Date.from(notAfter), subject, publicKey);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLength));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, CaExtensions.subjectKeyIdentifier(publicKey));
            builder.addExtension(Extension.authorityKeyIdentifier, false, CaExtensions.authorityKeyIdentifier(parentCertificate));
            X509CertificateHolder holder = builder.build(new BackendContentSigner(parentKey));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertIOException | CertificateException e) {
            throw new IllegalStateException("cannot build the intermediate CA certificate " + subject + ": " + e.getMessage(), e);
        }
    }
}
