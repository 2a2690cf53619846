package dev.rotakey.audit.stream;

import com.cloudbees.syslog.Facility;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.db.AuditDao.Chained;
import dev.rotakey.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The TLS syslog connection against an in-process TLS server that reads RFC 5425 frames, closes and goes away. */
class TlsSyslogSinkTest {
    private static final TestPki.Ca CA = TestPki.Ca.root("CN=Syslog Test CA");
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private SSLServerSocket server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        for (Socket s : connections) {
            s.close();
        }
    }

    private int start(String dnsName) throws Exception {
        TestPki.Leaf leaf = CA.leaf("CN=" + dnsName, Instant.now().minusSeconds(3600), Instant.now().plusSeconds(86400),
                false, TestPki.dns(dnsName));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", leaf.keys().getPrivate(), new char[0],
                new Certificate[]{leaf.certificate(), CA.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    connections.add(s);
                    Thread reader = new Thread(() -> read(s));
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return server.getLocalPort();
    }

    /** Reads {@code MSG-LEN SP SYSLOG-MSG} frames until the connection ends. */
    private void read(Socket s) {
        try (InputStream in = new BufferedInputStream(s.getInputStream())) {
            while (true) {
                int length = 0;
                for (int c = in.read(); c != ' '; c = in.read()) {
                    if (c < 0) {
                        return;
                    }
                    length = length * 10 + (c - '0');
                }
                received.add(new String(in.readNBytes(length), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the connection ended
        }
    }

    private static SSLContext trustingTheCa() throws Exception {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("ca", CA.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(anchors);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static TlsSyslogSink sink(int port) throws Exception {
        return new TlsSyslogSink("localhost", port, trustingTheCa(), true, Duration.ofSeconds(5), Duration.ofMillis(50),
                new SyslogFormat("rotakey-host", "rotakey", Facility.AUTHPRIV, 32473));
    }

    private static List<Chained> events(long first, int n) {
        return java.util.stream.LongStream.range(first, first + n).mapToObj(seq -> new Chained(seq, seq, "p", "h",
                new AuditEvent(seq, Instant.parse("2026-12-06T10:00:00Z"), "token:admin", "token.created",
                        "token:t" + seq, "ok", null, "héllo", "node-a"))).toList();
    }

    @Test
    void framesEveryEventByItsLengthInBytesOnOneConnection() throws Exception {
        try (TlsSyslogSink sink = sink(start("localhost"))) {
            sink.deliver(events(1, 2));
            sink.deliver(events(3, 1));

            await().until(() -> received.size() == 3);
            assertThat(accepted).hasValue(1);
            assertThat(received.get(0)).startsWith("<85>1 2026-12-06T10:00:00.000Z rotakey-host rotakey - token.created "
                    + "[rotakey@32473 seq=\"1\"").endsWith("] héllo");
        }
    }

    @Test
    void aConnectionTheServerClosedIsNoticedBeforeTheNextBatchGoesOnIt() throws Exception {
        try (TlsSyslogSink sink = sink(start("localhost"))) {
            sink.deliver(events(1, 1));
            await().until(() -> connections.size() == 1);
            connections.get(0).close();

            // Whether the close is seen before writing or the reset after it, the batch either arrives on a new
            // connection or fails, so that it is sent again: never counted as sent while lost.
            try {
                sink.deliver(events(2, 1));
            } catch (IOException e) {
                sink.deliver(events(2, 1));
            }

            await().until(() -> received.size() == 2);
            assertThat(accepted).hasValue(2);
        }
    }

    @Test
    void aServerThatIsGoneFailsTheBatch() throws Exception {
        int port = start("localhost");
        server.close();
        try (TlsSyslogSink sink = sink(port)) {
            assertThatThrownBy(() -> sink.deliver(events(1, 1))).isInstanceOf(IOException.class);
        }
    }

    @Test
    void aServerWhoseCertificateNamesAnotherHostIsRefused() throws Exception {
        try (TlsSyslogSink sink = sink(start("siem.example.org"))) {
            assertThatThrownBy(() -> sink.deliver(events(1, 1))).isInstanceOf(SSLHandshakeException.class);
            assertThat(received).isEmpty();
        }
    }
}
