package dev.rotakey.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Vault double over HTTPS: server authentication, and client certificates when a client trust store is given. */
class VaultTestServerTlsTest {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static KeyPair caKeys;
    private static X509Certificate ca;
    private static KeyStore serverStore;
    private static KeyStore clientStore;
    private static KeyStore caTrust;

    @BeforeAll
    static void certificates() throws Exception {
        caKeys = ecKeys();
        ca = certificate("CN=Test CA", caKeys, "CN=Test CA", caKeys, true, null);
        KeyPair serverKeys = ecKeys();
        X509Certificate server = certificate("CN=127.0.0.1", serverKeys, "CN=Test CA", caKeys, false,
                new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        KeyPair clientKeys = ecKeys();
        X509Certificate client = certificate("CN=rotakey", clientKeys, "CN=Test CA", caKeys, false, null);
        serverStore = store("server", serverKeys, server);
        clientStore = store("client", clientKeys, client);
        caTrust = KeyStore.getInstance("PKCS12");
        caTrust.load(null, null);
        caTrust.setCertificateEntry("ca", ca);
    }

    private static KeyPair ecKeys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate certificate(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys,
            boolean isCa, GeneralNames san) throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(1, ChronoUnit.HOURS)),
                Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Name(subject), subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (san != null) {
            b.addExtension(Extension.subjectAlternativeName, false, san);
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    private static KeyStore store(String alias, KeyPair keys, X509Certificate cert) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(alias, keys.getPrivate(), PASSWORD, new X509Certificate[] {cert, ca});
        return ks;
    }

    private static HttpClient client(boolean withCertificate) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(caTrust);
        KeyManagerFactory kmf = null;
        if (withCertificate) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(clientStore, PASSWORD);
        }
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).build();
    }

    private static HttpResponse<String> lookupSelf(HttpClient http, VaultTestServer vault) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(vault.address() + "/v1/auth/token/lookup-self"))
                .header("X-Vault-Token", vault.rootToken()).GET().build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void serverAuthenticatesWithItsCertificate() throws Exception {
        try (VaultTestServer vault = VaultTestServer.startTls(serverStore, PASSWORD, null)) {
            assertThat(vault.address()).startsWith("https://127.0.0.1:");
            HttpResponse<String> r = lookupSelf(client(false), vault);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"policies\":[\"root\"]");
            assertThat(InetAddress.getByName(URI.create(vault.address()).getHost()).isLoopbackAddress()).isTrue();
        }
    }

    @Test
    void clientCertificateRequiredWhenClientsAreTrusted() throws Exception {
        try (VaultTestServer vault = VaultTestServer.startTls(serverStore, PASSWORD, caTrust)) {
            assertThat(lookupSelf(client(true), vault).statusCode()).isEqualTo(200);
            HttpClient anonymous = client(false);
            assertThatThrownBy(() -> lookupSelf(anonymous, vault)).isInstanceOf(IOException.class);
            assertThat(vault.requests("auth/")).isEqualTo(1);
        }
    }

    @Test
    void plainHttpClientCannotTalkToTheTlsServer() throws Exception {
        try (VaultTestServer vault = VaultTestServer.startTls(serverStore, PASSWORD, null)) {
            String plain = vault.address().replace("https://", "http://");
            HttpRequest r = HttpRequest.newBuilder(URI.create(plain + "/v1/sys/health")).GET().build();
            HttpClient http = HttpClient.newHttpClient();
            assertThatThrownBy(() -> http.send(r, HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(IOException.class);
            assertThat(vault.requestLog()).isEmpty();
        }
    }
}
