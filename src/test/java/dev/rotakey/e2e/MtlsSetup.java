package dev.rotakey.e2e;

import dev.rotakey.testing.TestPki;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.OutputStream;
import java.io.Reader;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a daemon with mutual TLS on its API port needs in a test: a server certificate for 127.0.0.1 in a PKCS#12
 * keystore, a partner CA (a CA file of {@code auth.mtls}) with a client certificate whose subject the config maps
 * to {@code auditor}, the shipped config with an {@code auth.mtls} block, and TLS clients with or without a client
 * certificate.
 */
public final class MtlsSetup {
    /** The subject the config maps to {@code auditor}. */
    public static final String DASHBOARD_SUBJECT = "CN=dashboard,O=Example";
    private static final char[] PASSWORD = "test-keystore".toCharArray();

    private final Path dir;
    private final TestPki.Ca serverCa = TestPki.Ca.root("CN=Loopback TLS CA");
    private final TestPki.Ca partnerCa = TestPki.Ca.root("CN=Partner CA,O=Example");
    private final TestPki.Leaf dashboard = partnerCa.leaf(DASHBOARD_SUBJECT);

    public MtlsSetup(Path dir) throws Exception {
        this.dir = Files.createDirectories(dir);
        TestPki.Leaf server = serverCa.leaf("CN=127.0.0.1", Instant.now().minus(Duration.ofHours(1)),
                Instant.now().plus(Duration.ofDays(1)), false, new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", server.keys().getPrivate(), PASSWORD,
                new Certificate[]{server.certificate(), serverCa.certificate()});
        try (OutputStream out = Files.newOutputStream(dir.resolve("server.p12"))) {
            ks.store(out, PASSWORD);
        }
        Files.writeString(dir.resolve("partner-ca.pem"), TestPki.pem("CERTIFICATE", partnerCa.certificate().getEncoded()));
    }

    /** The shipped config with {@code auth.mtls} on: agents-ca for agents, the partner CA file for mapped roles. */
    public String config() throws Exception {
        String shipped = Files.readString(Path.of("config/rotakey.yml"), StandardCharsets.UTF_8);
        String mtls = """
                auth:
                  mtls:
                    enabled: true
                    authorities:
                      - ca: agents-ca
                      - caFile: %s
                    agents:
                      ca: agents-ca
                    roles:
                      - subject: "%s"
                        role: auditor
                """.formatted(dir.resolve("partner-ca.pem"), DASHBOARD_SUBJECT);
        if (!shipped.contains("\nauth:\n")) {
            throw new IllegalStateException("config/rotakey.yml has no auth: block to extend");
        }
        Path config = dir.resolve("rotakey-mtls.yml");
        Files.writeString(config, shipped.replace("\nauth:\n", "\n" + mtls));
        return config.toString();
    }

    /** The API connector as https-mtls with the server keystore (defaults replaced, see RunningDaemon). */
    public Map<String, String> connector() {
        return Map.of("server.applicationConnectors[0].type", "https-mtls",
                "server.applicationConnectors[0].keyStorePath", dir.resolve("server.p12").toString(),
                "server.applicationConnectors[0].keyStoreType", "PKCS12",
                "server.applicationConnectors[0].keyStorePassword", new String(PASSWORD));
    }

    /** A TLS context that trusts the server and presents no client certificate. */
    public SSLContext anonymous() throws Exception {
        return context(null);
    }

    /** A TLS context presenting the partner CA's dashboard certificate. */
    public SSLContext dashboard() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", dashboard.keys().getPrivate(), PASSWORD, new Certificate[]{dashboard.certificate()});
        return context(ks);
    }

    /** A TLS context presenting a key and certificate chain from PEM files, as a Rotakey target delivers them. */
    public SSLContext fromPem(Path keyPem, Path certPem, Path chainPem) throws Exception {
        List<Certificate> chain = new ArrayList<>(certificates(certPem));
        chain.addAll(certificates(chainPem));
        return withKey(privateKey(keyPem), chain.toArray(Certificate[]::new));
    }

    /** A TLS context presenting this key and chain. */
    public SSLContext withKey(PrivateKey key, Certificate... chain) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", key, PASSWORD, chain);
        return context(ks);
    }

    /** A new client, so a new connection and TLS session. */
    public static HttpClient client(SSLContext context) {
        return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private SSLContext context(KeyStore identity) throws Exception {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("server-ca", serverCa.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(anchors);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(identity, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(identity == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static List<X509Certificate> certificates(Path pem) throws Exception {
        try (var in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
        }
    }

    private static PrivateKey privateKey(Path pem) throws Exception {
        try (Reader r = Files.newBufferedReader(pem); PEMParser parser = new PEMParser(r)) {
            Object o = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            return converter.getPrivateKey((PrivateKeyInfo) o);
        }
    }
}
