package dev.rotakey.targets.redis;

import dev.rotakey.config.TlsFactory;
import dev.rotakey.testing.TestPki;
import org.bouncycastle.asn1.x509.GeneralName;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A test CA for TLS-enabled redis-server processes: PEM files for a server (certificate for the names given, key),
 * for Rotakey's {@code tls:} block (CA, client certificate and key) and for a replica's or Sentinel's client side, and
 * the SSL context the fixture itself uses to reach a server whatever name its certificate carries.
 */
final class RedisPki {
    /** Names a loopback server's certificate carries. */
    static final List<GeneralName> LOOPBACK = List.of(new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
            TestPki.dns("localhost"));

    private final TestPki.Ca ca;
    private final TestPki.Leaf client;
    private final Path dir;

    /** Writes {@code ca.pem}, {@code client.pem} and {@code client-key.pem} of a new CA into {@code dir}. */
    RedisPki(Path dir, String caName) {
        this.dir = dir;
        this.ca = TestPki.Ca.root("CN=" + caName);
        this.client = ca.leaf("CN=rotakey");
        write("ca.pem", ca.certificate());
        write("client.pem", client.certificate());
        writeKey("client-key.pem", client);
    }

    /**
     * The arguments that make a redis-server (or Sentinel) serve TLS with a certificate for {@code names}, take client
     * certificates from this CA as {@code authClients} says ({@code no}, {@code optional}, {@code yes}), and present
     * the client certificate where it is a client itself (replication, Sentinel's connections).
     */
    List<String> serverArgs(String stem, String authClients, List<GeneralName> names) {
        TestPki.Leaf server = ca.leaf("CN=" + stem, java.time.Instant.now().minusSeconds(3600),
                java.time.Instant.now().plusSeconds(86400), false, names.toArray(GeneralName[]::new));
        write(stem + ".pem", server.certificate());
        writeKey(stem + "-key.pem", server);
        return List.of("--tls-cert-file", file(stem + ".pem"), "--tls-key-file", file(stem + "-key.pem"),
                "--tls-ca-cert-file", file("ca.pem"), "--tls-auth-clients", authClients,
                "--tls-client-cert-file", file("client.pem"), "--tls-client-key-file", file("client-key.pem"));
    }

    /** Rotakey's {@code tls:} block for this CA, with the client certificate or without. */
    TlsFactory tls(boolean clientCertificate) {
        TlsFactory tls = new TlsFactory();
        tls.setCaFile(file("ca.pem"));
        if (clientCertificate) {
            tls.setClientCertificateFile(file("client.pem"));
            tls.setClientKeyFile(file("client-key.pem"));
        }
        return tls;
    }

    /**
     * The fixture's own context: trusts this CA and presents the client certificate, but checks no host name, so that
     * it can also wait for a server whose certificate is deliberately for another name.
     */
    SSLContext fixtureContext() {
        try {
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            anchors.setCertificateEntry("ca", ca.certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(anchors);
            X509TrustManager chainOnly = (X509TrustManager) tmf.getTrustManagers()[0];
            char[] none = new char[0];
            KeyStore identity = KeyStore.getInstance("PKCS12");
            identity.load(null, null);
            identity.setKeyEntry("client", client.keys().getPrivate(), none, new Certificate[]{client.certificate()});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(identity, none);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), new X509ExtendedTrustManager[]{new ChainOnly(chainOnly)}, new SecureRandom());
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String file(String name) {
        return dir.resolve(name).toAbsolutePath().toString();
    }

    private void write(String name, X509Certificate certificate) {
        try {
            Files.writeString(dir.resolve(name), TestPki.pem("CERTIFICATE", certificate.getEncoded()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void writeKey(String name, TestPki.Leaf leaf) {
        try {
            Files.writeString(dir.resolve(name), TestPki.pem("PRIVATE KEY", leaf.keys().getPrivate().getEncoded()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checks the chain only: the socket variants skip the JDK's host name check by calling the plain ones. */
    private static final class ChainOnly extends X509ExtendedTrustManager {
        private final X509TrustManager delegate;

        ChainOnly(X509TrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}
