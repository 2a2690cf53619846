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

import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Builds a self-signed root CA certificate for a key that stays in its backend: basic constraints
 * CA (critical), key usage keyCertSign and cRLSign (critical), a subject key identifier, a random
 * serial and a start backdated for clock skew.
 */
public final class RootCertificateBuilder {
    /** Relying parties whose clocks run a little behind must not see a certificate from the future. */
    static final Duration BACKDATE = Duration.ofMinutes(5);

    private final SecureRandom random;
    private final Clock clock;

    public RootCertificateBuilder(SecureRandom random, Clock clock) {
        this.random = random;
        this.clock = clock;
    }

    public X509Certificate build(SigningKey key, X500Name subject, Duration validity) {
        Instant now = clock.instant();
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, CertificateSerials.next(random), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(validity)), subject, key.publicKey());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, CaExtensions.subjectKeyIdentifier(key.publicKey()));
            X509CertificateHolder holder = builder.build(new BackendContentSigner(key));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertIOException | CertificateException e) {
            throw new IllegalStateException("cannot build the CA certificate for key " + key.alias() + ": " + e.getMessage(), e);
        }
    }
}
