package dev.rotakey.bench;

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
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The reference that {@code scripts/bench.sh} sets beside Rotakey's certificate rotations: the work a certificate
 * rotation with {@code export} custody cannot avoid, done by one thread with nothing else — an EC P-256 leaf key
 * generated in the JVM from the token's RNG, an X.509 certificate signed inside the token by the CA's key, and one
 * PEM (certificate and key) written durably: temporary file, fsync, rename into place, fsync of the directory.
 * It prints {@code ops_per_second=R} as its last line.
 *
 * <p>A single file with no dependency but the JDK and Bouncy Castle, run with Java's source launcher against the
 * daemon's jar ({@code java -cp target/rotakey.jar CertificateReference.java …}), so it never ships in the jar and
 * needs no test classpath. It uses the token and CA key the daemon uses (another PKCS#11 session on the same SoftHSM2
 * token), found by the CA certificate's public key, and creates no token object.
 */
public final class CertificateReference {
    private static final Duration VALIDITY = Duration.ofDays(30);

    private final SecureRandom tokenRandom;
    private final PrivateKey caKey;
    private final Provider token;
    private final X509Certificate caCertificate;
    private final Path directory;
    private final JcaX509ExtensionUtils extensions;

    private CertificateReference(Provider token, SecureRandom tokenRandom, PrivateKey caKey, X509Certificate caCertificate,
                                 Path directory) throws NoSuchAlgorithmException {
        this.token = token;
        this.tokenRandom = tokenRandom;
        this.caKey = caKey;
        this.caCertificate = caCertificate;
        this.directory = directory;
        this.extensions = new JcaX509ExtensionUtils();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        String library = require(options, "library");
        String slot = require(options, "slot");
        Path pinFile = Path.of(require(options, "pin-file"));
        Path chainFile = Path.of(require(options, "ca-chain"));
        Path directory = Path.of(require(options, "dir"));
        int count = Integer.parseInt(options.getOrDefault("count", "500"));
        if (count < 1) {
            throw new IllegalArgumentException("--count must be at least 1");
        }
        int warmup = Integer.parseInt(options.getOrDefault("warmup", Integer.toString(Math.min(count, 100))));

        Provider token = Security.getProvider("SunPKCS11").configure("--name=RotakeyBenchReference\n"
                + "library=\"" + library + "\"\nslot=" + slot + "\n");
        char[] pin = Files.readString(pinFile).strip().toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS11", token);
        store.load(null, pin);
        X509Certificate ca = firstCertificate(chainFile);
        PrivateKey caKey = caKeyOf(store, ca);
        Files.createDirectories(directory);

        CertificateReference reference = new CertificateReference(token, SecureRandom.getInstance("PKCS11", token),
                caKey, ca, directory);
        for (int i = 0; i < warmup; i++) {
            reference.rotate(i);
        }
        long start = System.nanoTime();
        X509Certificate last = null;
        for (int i = 0; i < count; i++) {
            last = reference.rotate(i);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        // Real work, not a no-op that happened to be fast: the token's signature verifies under the CA's key.
        last.verify(ca.getPublicKey());
        double rate = count / seconds;
        System.out.printf("reference: %d certificate rotations (EC P-256, export, one thread) in %.3f s, after %d"
                + " untimed%n", count, seconds, warmup);
        System.out.printf("ops_per_second=%.1f%n", rate);
    }

    /** One rotation's unavoidable work: a key, a certificate signed in the token, one durable PEM. */
    private X509Certificate rotate(int index) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", "SunEC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), tokenRandom);
        KeyPair pair = generator.generateKeyPair();
        X509Certificate leaf = certify(pair, "bench-reference-" + index);
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(leaf);
            writer.writeObject(new PemObject("PRIVATE KEY", pair.getPrivate().getEncoded()));
        }
        writeDurably(directory.resolve("leaf-" + index + ".pem"), pem.toString().getBytes(StandardCharsets.US_ASCII));
        return leaf;
    }

    /** The same profile Rotakey's leaves have: CN, SPIFFE URI, clientAuth, key identifiers, CRL distribution point. */
    private X509Certificate certify(KeyPair pair, String agent) throws Exception {
        Instant now = Instant.now();
        // As CertificateSerials: 64 random bits under a set 65th.
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate,
                new BigInteger(64, tokenRandom).setBit(64), Date.from(now.minusSeconds(300)),
                Date.from(now.plus(VALIDITY)), new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, agent).build(),
                pair.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://rotakey.local/agent/" + agent)));
        builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(pair.getPublic()));
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                extensions.createAuthorityKeyIdentifier(caCertificate));
        builder.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[]{
                new DistributionPoint(new DistributionPointName(new GeneralNames(new GeneralName(
                        GeneralName.uniformResourceIdentifier, "http://localhost/api/v1/cas/agents-ca/crl?generation=1"))),
                        null, null)}));
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").setProvider(token).build(caKey);
        X509CertificateHolder holder = builder.build(signer);
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
    }

    /** Temporary file, fsync, atomic rename over the old file, fsync of the directory: the file is whole after a crash. */
    private void writeDurably(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private static X509Certificate firstCertificate(Path pem) throws Exception {
        try (var in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** The token's private key whose stored certificate carries the CA certificate's public key. */
    private static PrivateKey caKeyOf(KeyStore store, X509Certificate ca) throws Exception {
        for (String alias : Collections.list(store.aliases())) {
            if (!store.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                continue;
            }
            Certificate stored = store.getCertificate(alias);
            if (stored != null && stored.getPublicKey().equals(ca.getPublicKey())) {
                return (PrivateKey) store.getKey(alias, null);
            }
        }
        throw new IllegalStateException("no private key on the token matches the public key of " + ca.getSubjectX500Principal());
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: --library L --slot S --pin-file F --ca-chain PEM --dir D"
                        + " [--count N] [--warmup W]; got " + args[i]);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }

    private static String require(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }
}
