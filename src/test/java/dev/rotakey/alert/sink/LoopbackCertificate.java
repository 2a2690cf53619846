package dev.rotakey.alert.sink;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

/**
 * A self-signed P-256 server certificate, made in the JVM, for one subject alternative name
 * ({@code IP:127.0.0.1} or {@code DNS:mail.example.org}), for the loopback TLS servers of the sinks'
 * tests: the server presents it from {@link #serverContext()}, and a sink trusts it with
 * {@code tls.caFile: certFile}. Like {@code openssl req -x509}, it is its own CA.
 */
record LoopbackCertificate(Path certFile, SSLContext serverContext) {
    private static final SecureRandom RANDOM = new SecureRandom();

    static LoopbackCertificate create(Path dir, String subjectAltName) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        KeyPair keys = g.generateKeyPair();
        X509Certificate cert = selfSigned(keys, subjectAltName);
        Path certFile = dir.resolve("cert.pem");
        Files.writeString(certFile, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry("server", keys.getPrivate(), new char[0], new Certificate[]{cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(identity, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, RANDOM);
        return new LoopbackCertificate(certFile, context);
    }

    private static X509Certificate selfSigned(KeyPair keys, String subjectAltName) throws GeneralSecurityException {
        String[] san = subjectAltName.split(":", 2);
        GeneralName name = switch (san[0]) {
            case "IP" -> new GeneralName(GeneralName.iPAddress, san[1]);
            case "DNS" -> new GeneralName(GeneralName.dNSName, san[1]);
            default -> throw new IllegalArgumentException("not IP:… or DNS:…: " + subjectAltName);
        };
        X500Name subject = new X500Name("CN=rotakey sink test");
        Instant now = Instant.now();
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(name));
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        } catch (IOException | OperatorCreationException e) {
            throw new GeneralSecurityException("cannot make the loopback certificate", e);
        }
    }
}
