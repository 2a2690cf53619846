package dev.rotakey.targets.redis;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection speaking RESP2 over TCP or TLS, just enough for the ACL and Sentinel commands Rotakey sends: a tiny
 * client keeps every argument (passwords included) in byte arrays we clear, out of any library's logs and Strings.
 */
final class RespConnection implements AutoCloseable {
    /** An error reply: {@code code} is its first word ({@code ERR}, {@code WRONGPASS}, {@code NOPERM}, …). */
    static final class ErrorReply extends Exception {
        private final String code;

        ErrorReply(String text) {
            super(text);
            int space = text.indexOf(' ');
            this.code = space < 0 ? text : text.substring(0, space);
        }

        String code() {
            return code;
        }
    }

    private static final int MAX_BULK = 64 * 1024 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RespConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream());
    }

    /** A plain-TCP connection (the tests' probes). */
    static RespConnection open(String host, int port, int connectTimeoutMillis, int readTimeoutMillis) throws IOException {
        return open(new RedisAddress(host, port), connectTimeoutMillis, readTimeoutMillis, null);
    }

    /**
     * Connects to {@code address}, over TLS when {@code tls} is not null. The TLS handshake happens here, bounded by
     * the read timeout, and checks the server's certificate against {@code address}'s host as HTTPS does: a
     * certificate from the same CA for another server is refused.
     */
    static RespConnection open(RedisAddress address, int connectTimeoutMillis, int readTimeoutMillis, SSLContext tls)
            throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(address.host(), address.port()), connectTimeoutMillis);
            socket.setSoTimeout(readTimeoutMillis);
            socket.setTcpNoDelay(true);
            if (tls == null) {
                return new RespConnection(socket);
            }
            SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(socket, address.host(), address.port(), true);
            socket = secure;
            SSLParameters parameters = secure.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            secure.setSSLParameters(parameters);
            try {
                secure.startHandshake();
            } catch (SocketTimeoutException e) {
                // A plain-TCP Redis takes the ClientHello for the start of an inline command and waits for its end.
                SocketTimeoutException t = new SocketTimeoutException("no TLS handshake within " + readTimeoutMillis
                        + " ms: does the server speak TLS on this port?");
                t.initCause(e);
                throw t;
            }
            return new RespConnection(secure);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Sends one command and reads its reply: a {@code String} (simple string), {@code Long},
     * {@code byte[]} (bulk string), {@code List<Object>} (array) or null.
     */
    Object call(byte[]... args) throws IOException, ErrorReply {
        try {
            out.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (byte[] arg : args) {
                out.write(('$' + Integer.toString(arg.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(arg);
                out.write('\r');
                out.write('\n');
            }
            out.flush();
        } catch (SocketException e) {
            throw alertInstead(e);
        }
        Object reply = read();
        if (reply instanceof ErrorReply e) {
            throw e;
        }
        return reply;
    }

    Object call(String... args) throws IOException, ErrorReply {
        byte[][] bytes = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            bytes[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return call(bytes);
    }

    /**
     * With TLS 1.3 a server judges the client's certificate after the client's handshake is done, then sends its
     * alert and closes: the first command then meets a closed socket ("Broken pipe"). The alert is usually still
     * waiting to be read, and says what happened ("certificate_required"), so it is what the caller gets.
     */
    private IOException alertInstead(SocketException e) {
        if (socket instanceof SSLSocket) {
            try {
                in.read();
            } catch (SSLException alert) {
                alert.addSuppressed(e);
                return alert;
            } catch (IOException ignored) {
                // No alert to be had: the write's own failure says it best.
            }
        }
        return e;
    }

    private Object read() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by the server");
        }
        String line = line();
        switch (type) {
            case '+':
                return line;
            case '-':
                return new ErrorReply(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                if (n > MAX_BULK) {
                    throw new IOException("bulk reply of " + n + " bytes is too large");
                }
                byte[] data = in.readNBytes(n);
                if (data.length < n || in.read() != '\r' || in.read() != '\n') {
                    throw new EOFException("truncated bulk reply");
                }
                return data;
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    Object item = read();
                    // A nested error (inside a transaction reply) stays a value: the caller decides.
                    items.add(item);
                }
                return items;
            }
            default:
                throw new IOException("not a RESP2 reply (type byte " + type + ")");
        }
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed by the server");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("malformed RESP line");
                }
                return sb.toString();
            }
            sb.append((char) b);
        }
    }

    static String text(Object reply) {
        if (reply instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        return reply == null ? null : reply.toString();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Nothing was pending on it: a failed close loses nothing.
        }
    }
}
