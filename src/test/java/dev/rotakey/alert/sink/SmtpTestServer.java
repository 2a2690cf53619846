package dev.rotakey.alert.sink;

import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.net.InetAddress;
import java.util.ArrayList;
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
}
