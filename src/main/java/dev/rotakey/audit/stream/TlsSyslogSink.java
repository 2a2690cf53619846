package dev.rotakey.audit.stream;

import dev.rotakey.db.AuditDao.Chained;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Sends audit events to a syslog server over TLS (RFC 5425): one connection kept open, the server's certificate and
 * host name checked as HTTPS does, each message framed by its length. Syslog has no acknowledgement, so the
 * connection is probed before and after each batch: a server that closed it (a restart) or reset it (a crash,
 * which resets what it had not read) fails the batch, which is then sent again on a new connection.
 */
final class TlsSyslogSink implements AuditStreamSink {
    private final String host;
    private final int port;
    private final SSLContext ssl;
    private final boolean checkHostName;
    private final Duration connectTimeout;
    private final Duration confirmWait;
    private final SyslogFormat format;
    private SSLSocket socket;
    private OutputStream out;

    /**
     * @param checkHostName whether the server's certificate must name {@code host} (off only with {@code tls.verify: false})
     * @param confirmWait how long after a batch a reset from the server is waited for before the batch counts as sent
     */
    TlsSyslogSink(String host, int port, SSLContext ssl, boolean checkHostName, Duration connectTimeout,
                  Duration confirmWait, SyslogFormat format) {
        this.host = host;
        this.port = port;
        this.ssl = ssl;
        this.checkHostName = checkHostName;
        this.connectTimeout = connectTimeout;
        this.confirmWait = confirmWait;
        this.format = format;
    }

    @Override
    public synchronized void deliver(List<Chained> events) throws IOException {
        try {
            if (socket != null) {
                probe(1);
            }
            if (socket == null) {
                connect();
            }
            StringBuilder batch = new StringBuilder(events.size() * 400);
            for (Chained c : events) {
                batch.append(format.framed(c));
            }
            out.write(batch.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            probe((int) Math.max(1, confirmWait.toMillis()));
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void connect() throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
            plain.setKeepAlive(true);
            plain.setTcpNoDelay(true);
            SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket(plain, host, port, true);
            if (checkHostName) {
                SSLParameters params = s.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(params);
            }
            s.setSoTimeout((int) connectTimeout.toMillis());
            s.startHandshake();
            socket = s;
            out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /**
     * Reads for up to {@code millis}: a syslog server never sends anything, so only a timeout means the connection
     * is still there; an end of stream is a close, and an exception a reset.
     */
    private void probe(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            int b = socket.getInputStream().read();
            if (b < 0) {
                throw new EOFException("the syslog server closed the connection");
            }
            throw new IOException("the syslog server sent data on a syslog connection");
        } catch (SocketTimeoutException alive) {
            // nothing came back: the connection holds
        }
    }

    @Override
    public synchronized void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // a connection being given up: nothing more to do with it
            }
            socket = null;
            out = null;
        }
    }

    @Override
    public String toString() {
        return "syslog+tls://" + host + ":" + port;
    }
}
