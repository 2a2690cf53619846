package dev.rotakey.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

/** Real CAs, leaves and CRLs made with BouncyCastle in the JVM, for the tests of client-certificate checks. */
public final class TestPki {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A CA: its keys and certificate; issues leaves, intermediates and CRLs. */
    public record Ca(String subject, KeyPair keys, X509Certificate certificate) {
        public static Ca root(String subject) {
            KeyPair keys = newKeys();
            return new Ca(subject, keys, build(subject, keys, subject, keys, true, Instant.now().minus(Duration.ofHours(1)),
                    Instant.now().plus(Duration.ofDays(30)), List.of(), true));
        }

        public Ca intermediate(String subject) {
            KeyPair k = newKeys();
            return new Ca(subject, k, build(subject, k, this.subject, keys, true, Instant.now().minus(Duration.ofHours(1)),
                    Instant.now().plus(Duration.ofDays(10)), List.of(), true));
        }

        /** A client leaf valid from an hour ago for a day, with these SANs ({@link GeneralName}s). */
        public Leaf leaf(String subject, GeneralName... sans) {
            return leaf(subject, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)), true, sans);
        }

        public Leaf leaf(String subject, Instant notBefore, Instant notAfter, boolean clientAuth, GeneralName... sans) {
            KeyPair k = newKeys();
            return new Leaf(k, build(subject, k, this.subject, keys, false, notBefore, notAfter, List.of(sans), clientAuth));
        }

        /** A CRL signed now, valid for a day, listing these certificates as revoked. */
        public X509CRL crl(X509Certificate... revoked) {
            try {
                Instant now = Instant.now();
                X509v2CRLBuilder b = new X509v2CRLBuilder(name(subject), Date.from(now.minusSeconds(60)));
                b.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
                for (X509Certificate c : revoked) {
                    b.addCRLEntry(c.getSerialNumber(), Date.from(now.minusSeconds(30)), CRLReason.keyCompromise);
                }
                b.addExtension(Extension.authorityKeyIdentifier, false,
                        new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate));
                return new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A leaf: its keys and certificate. */
    public record Leaf(KeyPair keys, X509Certificate certificate) {
    }

    public static GeneralName uri(String uri) {
        return new GeneralName(GeneralName.uniformResourceIdentifier, uri);
    }

    public static GeneralName dns(String dns) {
        return new GeneralName(GeneralName.dNSName, dns);
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    public static KeyPair newKeys() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate build(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, boolean ca,
                                         Instant notBefore, Instant notAfter, List<GeneralName> sans, boolean clientAuth) {
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name(issuer),
                    new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(notBefore), Date.from(notAfter),
                    name(subject), subjectKeys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKeys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
            if (!ca) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                        clientAuth ? KeyPurposeId.id_kp_clientAuth : KeyPurposeId.id_kp_serverAuth));
            }
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            return new JcaX509CertificateConverter().getCertificate(b.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A name read as RFC 2253, the way the JDK (and so the config's {@code subject}) reads it: most specific first. */
    public static X500Name name(String rfc2253) {
        return X500Name.getInstance(new javax.security.auth.x500.X500Principal(rfc2253).getEncoded());
    }

    public static X509Certificate[] chain(X509Certificate... certificates) {
        return new ArrayList<>(List.of(certificates)).toArray(X509Certificate[]::new);
    }

    private TestPki() {
    }
}
