package dev.rotakey.ca;

import dev.rotakey.backend.SigningKey;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * Builds an agent's leaf certificate, signed inside the backend by the issuing CA's key: subject
 * {@code CN=<agent>}, the agent's SPIFFE ID as first URI SAN, client (and with DNS names server)
 * authentication, and the CRL distribution point of the issuing CA generation.
 */
public final class LeafCertificateBuilder {
    private final Clock clock;

    public LeafCertificateBuilder(Clock clock) {
        this.clock = clock;
    }

    /**
     * @param caKey         the issuing generation's key
     * @param caCertificate the issuing generation's certificate (issuer name and key identifier)
     * @param spiffeId      {@code spiffe://<trust domain>/agent/<agent>}
     * @param crlUrl        where the issuing generation's CRL is published
     */
    public X509Certificate build(SigningKey caKey, X509Certificate caCertificate, BigInteger serial, LeafRequest request,
                                 String spiffeId, String crlUrl) {
        Instant now = clock.instant();
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(CaExtensions.subject(caCertificate), serial,
                    Date.from(now.minus(RootCertificateBuilder.BACKDATE)), Date.from(now.plus(request.validity())),
                    new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, request.agentId()).build(),
                    request.publicKey());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            boolean rsa = "RSA".equals(request.publicKey().getAlgorithm());
            // keyEncipherment only where the key can encipher: RSA key transport in TLS 1.2.
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | (rsa ? KeyUsage.keyEncipherment : 0)));
            builder.addExtension(Extension.extendedKeyUsage, false, request.dnsNames().isEmpty()
                    ? new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth)
                    : new ExtendedKeyUsage(new KeyPurposeId[]{KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}));
            List<GeneralName> names = new ArrayList<>();
            names.add(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId));
            request.uris().forEach(u -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, u)));
            request.dnsNames().forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
            // Not critical: the subject is not empty.
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
            builder.addExtension(Extension.subjectKeyIdentifier, false, CaExtensions.subjectKeyIdentifier(request.publicKey()));
            builder.addExtension(Extension.authorityKeyIdentifier, false, CaExtensions.authorityKeyIdentifier(caCertificate));
            builder.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[]{
                    new DistributionPoint(new DistributionPointName(new GeneralNames(
                            new GeneralName(GeneralName.uniformResourceIdentifier, crlUrl))), null, null)}));
            X509CertificateHolder holder = builder.build(new BackendContentSigner(caKey));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertIOException | CertificateException e) {
            throw new IllegalStateException("cannot build a certificate for agent " + request.agentId() + ": " + e.getMessage(), e);
        }
    }
}
