package dev.rotakey.alert.sink;

import dev.rotakey.testing.OpenSsl;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A real SMTP server (SubEthaSMTP) on loopback for the email sink: STARTTLS offered and required
 * (MAIL is refused on a plain connection), or implicit TLS (SMTPS), or no TLS at all; optional
 * login. It records each message with whether its session was encrypted.
 */
final class SmtpTestServer implements AutoCloseable {
    /** A message as received, with whether the session was under TLS when it arrived and when the client logged in. */
    record Received(String from, String to, String data, boolean tls, String loggedInAs) {
    }

    enum Mode { STARTTLS_REQUIRED, SMTPS, PLAIN }

    private final SMTPServer server;
    private final List<Received> received = new ArrayList<>();
    private final List<Boolean> loginsUnderTls = new ArrayList<>();

    SmtpTestServer(Mode mode, SSLContext tls, String username, String password) {
        SMTPServer.Builder b = SMTPServer.port(0)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName("127.0.0.1")
                .messageHandler((context, from, to, data) -> {
                    Session session = (Session) context;
                    boolean encrypted = session.isTLSStarted() || session.getSocket() instanceof SSLSocket;
                    String user = session.isAuthenticated() ? username : null;
                    synchronized (received) {
                        received.add(new Received(from, to, new String(data, java.nio.charset.StandardCharsets.UTF_8),
                                encrypted, user));
                    }
                });
        if (username != null) {
            b.requireAuth().authenticationHandlerFactory(new EasyAuthenticationHandlerFactory((user, pass, context) -> {
                Session session = (Session) context;
                synchronized (received) {
                    loginsUnderTls.add(session.isTLSStarted() || session.getSocket() instanceof SSLSocket);
                }
                if (!username.equals(user) || !password.equals(pass)) {
                    throw new LoginFailedException();
                }
            }));
        }
        switch (mode) {
            case STARTTLS_REQUIRED -> b.enableTLS().requireTLS().startTlsSocketFactory(tls);
            case SMTPS -> b.serverSocketFactory(tls);
            case PLAIN -> b.enableTLS(false);
        }
        server = b.build();
        server.start();
    }

    int port() {
        return server.getPortAllocated();
    }

    List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    List<Boolean> loginsUnderTls() {
        synchronized (received) {
            return List.copyOf(loginsUnderTls);
        }
    }

    @Override
    public void close() {
        server.stop();
    }

    /**
     * A self-signed certificate made with the machine's openssl for {@code subjectAltName}
     * (e.g. {@code IP:127.0.0.1}): {@code cert.pem} is also what the client trusts.
     */
    record Certificate(Path certFile, SSLContext serverContext) {
        static Certificate create(Path dir, String subjectAltName) throws IOException, GeneralSecurityException {
            Files.createDirectories(dir);
            OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=smtp test",
                    "-addext", "subjectAltName=" + subjectAltName).ok();
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            java.security.cert.Certificate cert = cf.generateCertificate(
                    new ByteArrayInputStream(Files.readAllBytes(dir.resolve("cert.pem"))));
            String pem = Files.readString(dir.resolve("key.pem"));
            byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
            KeyStore identity = KeyStore.getInstance("PKCS12");
            identity.load(null, null);
            identity.setKeyEntry("server", key, new char[0], new java.security.cert.Certificate[]{cert});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(identity, new char[0]);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, new SecureRandom());
            return new Certificate(dir.resolve("cert.pem"), context);
        }
    }
}
