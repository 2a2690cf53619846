package dev.rotakey.backend.vault;

import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.testing.OpenSsl;
import dev.rotakey.testing.VaultTestServer;
import dev.rotakey.config.TlsFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS towards Vault: a server certificate checked against {@code tls.caFile}, and a client
 * certificate (PEM, PKCS#8 or SEC1 key) presented to a Vault that requires one.
 */
class VaultTlsIT {
    private static final char[] PASSWORD = "test".toCharArray();
    private static final AtomicLong SERIAL = new AtomicLong(1);
    private static final byte[] DATA = "x".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    private KeyPair caKey;
    private X509Certificate ca;
    private VaultTestServer vault;
    private VaultTransitKeyBackend backend;

    @BeforeEach
    void startTlsVault() throws Exception {
        caKey = ecKey();
        ca = certificate("CN=Vault Test CA", caKey, "CN=Vault Test CA", caKey, true, false);
        KeyPair serverKey = ecKey();
        X509Certificate server = certificate("CN=127.0.0.1", serverKey, "CN=Vault Test CA", caKey, false, true);
        KeyStore serverStore = KeyStore.getInstance("PKCS12");
        serverStore.load(null, null);
        serverStore.setKeyEntry("server", serverKey.getPrivate(), PASSWORD, new Certificate[] {server, ca});
        KeyStore clients = KeyStore.getInstance("PKCS12");
        clients.load(null, null);
        clients.setCertificateEntry("ca", ca);
        vault = VaultTestServer.startTls(serverStore, PASSWORD, clients);
        Files.writeString(tmp.resolve("ca.pem"), pem(ca));
    }

    @AfterEach
    void stop() {
        if (backend != null) {
            backend.close();
        }
        vault.stop();
    }

    private VaultTransitKeyBackendFactory config(boolean clientCertificate, boolean pkcs8) throws Exception {
        VaultTransitKeyBackendFactory f = VaultFixtures.withTimeouts(VaultFixtures.tokenConfig(vault.address(), tmp, vault.rootToken()));
        TlsFactory tls = new TlsFactory();
        tls.setCaFile(tmp.resolve("ca.pem").toString());
        if (clientCertificate) {
            KeyPair clientKey = ecKey();
            X509Certificate client = certificate("CN=rotakey", clientKey, "CN=Vault Test CA", caKey, false, false);
            Files.writeString(tmp.resolve("client.pem"), pem(client));
            Files.writeString(tmp.resolve("client-key.pem"), pkcs8(clientKey));
            if (!pkcs8) {
                // The traditional "EC PRIVATE KEY" form, as openssl writes it.
                OpenSsl.run(tmp, "ec", "-in", "client-key.pem", "-out", "client-key.pem").ok();
                assertThat(Files.readString(tmp.resolve("client-key.pem"))).contains("BEGIN EC PRIVATE KEY");
            }
            tls.setClientCertificateFile(tmp.resolve("client.pem").toString());
            tls.setClientKeyFile(tmp.resolve("client-key.pem").toString());
        }
        f.setTls(tls);
        return f;
    }

    @Test
    void theServerIsTrustedThroughTheCaFileAndTheClientCertificateIsAccepted() throws Exception {
        assertThat(vault.address()).startsWith("https://");
        backend = config(true, true).build("vault", Clock.systemUTC());

        backend.start();

        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
        assertThat(backend.hmac(DATA)).hasSize(32);
    }

    @Test
    void aSec1EcClientKeyIsReadToo() throws Exception {
        backend = config(true, false).build("vault", Clock.systemUTC());
        backend.start();
        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
    }

    @Test
    void withoutAClientCertificateVaultRefusesTheHandshake() throws Exception {
        backend = config(false, true).build("vault", Clock.systemUTC());

        backend.start();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).contains("unreachable");
        assertThatThrownBy(() -> backend.hmac(DATA)).isInstanceOf(KeyBackendUnavailableException.class);
    }

    @Test
    void aServerCertificateFromAnotherCaIsNotTrusted() throws Exception {
        KeyPair otherKey = ecKey();
        Files.writeString(tmp.resolve("other-ca.pem"),
                pem(certificate("CN=Other CA", otherKey, "CN=Other CA", otherKey, true, false)));
        VaultTransitKeyBackendFactory f = config(true, true);
        f.getTls().setCaFile(tmp.resolve("other-ca.pem").toString());
        backend = f.build("vault", Clock.systemUTC());

        backend.start();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).contains("unreachable");
    }

    @Test
    void aKeyFileWithoutAKeyIsNamedAtBuild() throws Exception {
        VaultTransitKeyBackendFactory f = config(true, true);
        f.getTls().setClientKeyFile(tmp.resolve("ca.pem").toString());
        assertThatThrownBy(() -> f.build("vault", Clock.systemUTC()))
                .hasMessageContaining("keyBackends.vault.tls.clientKeyFile");
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate certificate(String subject, KeyPair subjectKey, String issuer, KeyPair issuerKey,
                                               boolean isCa, boolean server) throws Exception {
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))), new X500Name(subject), subjectKey.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (isCa) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        }
        if (server) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
    }

    private static String pem(Object o) throws Exception {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        return w.toString();
    }

    private static String pkcs8(KeyPair key) throws Exception {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(new JcaPKCS8Generator(key.getPrivate(), null));
        }
        return w.toString();
    }
}
