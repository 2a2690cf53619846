package dev.rotakey.targets.files;

import dev.rotakey.core.Secret;
import dev.rotakey.targets.CertificateMaterial;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

/**
 * A two-level CA (root and intermediate) generated in the JVM for the certificate tests, issuing
 * leaves with EC P-256 or RSA-2048 keys. Test keys only: they never leave the test.
 */
public final class TestCertificateAuthority {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The key types the tests use. */
    public enum KeyType {
        EC("SHA256withECDSA"), RSA("SHA256withRSA");

        final String signatureAlgorithm;

        KeyType(String signatureAlgorithm) {
            this.signatureAlgorithm = signatureAlgorithm;
        }

        KeyPair generate() {
            try {
                KeyPairGenerator generator = KeyPairGenerator.getInstance(name());
                if (this == EC) {
                    generator.initialize(new ECGenParameterSpec("secp256r1"));
                } else {
                    generator.initialize(2048);
                }
                return generator.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A leaf: its key pair and what a delivery carries. */
    public record Leaf(KeyPair keys, X509Certificate certificate, String certificatePem, String chainPem, String privateKeyPem) {

        public CertificateMaterial exported() {
            return new CertificateMaterial(certificatePem, chainPem, Secret.of(privateKeyPem), null);
        }

        public CertificateMaterial inBackend(String uri) {
            return new CertificateMaterial(certificatePem, chainPem, null, uri);
        }

        @Override
        public String toString() {
            return "Leaf[" + certificate.getSubjectX500Principal() + "]";
        }
    }

    final KeyType keyType;
    final KeyPair rootKeys;
    final X509Certificate root;
    final KeyPair intermediateKeys;
    final X509Certificate intermediate;

    private TestCertificateAuthority(KeyType keyType, String name, KeyPair rootKeys, X509Certificate root) {
        this.keyType = keyType;
        this.rootKeys = rootKeys;
        this.root = root;
        this.intermediateKeys = keyType.generate();
        this.intermediate = certificate("CN=" + name + " Intermediate", intermediateKeys.getPublic(),
                root.getSubjectX500Principal().getName(), rootKeys, true);
    }

    /** A new root and intermediate named after {@code name}. */
    public static TestCertificateAuthority create(String name, KeyType keyType) {
        KeyPair rootKeys = keyType.generate();
        String rootName = "CN=" + name + " Root";
        X509Certificate root = certificate(keyType, rootName, rootKeys.getPublic(), rootName, rootKeys, true);
        return new TestCertificateAuthority(keyType, name, rootKeys, root);
    }

    /**
     * Another intermediate and root with the same names as this CA's but keys of their own: what a
     * look-alike CA would present.
     */
    TestCertificateAuthority lookAlike() {
        String rootName = root.getSubjectX500Principal().getName();
        String name = rootName.substring("CN=".length(), rootName.length() - " Root".length());
        return create(name, keyType);
    }

    /** The chain as issued: intermediate first, then the root. */
    public String chainPem() {
        return pem(intermediate) + pem(root);
    }

    public Leaf leaf(String commonName, KeyType leafKeyType) {
        KeyPair keys = leafKeyType.generate();
        X509Certificate certificate = certificate("CN=" + commonName, keys.getPublic(),
                intermediate.getSubjectX500Principal().getName(), intermediateKeys, false);
        return new Leaf(keys, certificate, pem(certificate), chainPem(),
                pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    }

    private X509Certificate certificate(String subject, PublicKey key, String issuer, KeyPair issuerKeys, boolean ca) {
        return certificate(keyType, subject, key, issuer, issuerKeys, ca);
    }

    private static X509Certificate certificate(KeyType signer, String subject, PublicKey key, String issuer,
                                               KeyPair issuerKeys, boolean ca) {
        Instant now = Instant.now();
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                    new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(1))), new X500Name(subject), key);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca
                    ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : KeyUsage.digitalSignature));
            return new JcaX509CertificateConverter().getCertificate(builder.build(
                    new JcaContentSignerBuilder(signer.signatureAlgorithm).build(issuerKeys.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(X509Certificate certificate) {
        try {
            return pem("CERTIFICATE", certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
