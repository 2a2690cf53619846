package dev.rotakey.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback TCP proxy between Rotakey and one real service (PostgreSQL, Redis, the webhook consumer, the Vault
 * double) that injects network faults on command: refused connections, connections dropped mid-stream, answers
 * that never come, and for HTTP peers a canned 5xx, 401/403 or a reply that is not HTTP at all.
 */
final class FaultProxy implements AutoCloseable {
    /** What the proxy does to connections, from the moment it is set. */
    enum Fault {
        NONE, REFUSE, DROP, STALL, HTTP_500, HTTP_401, HTTP_403, HTTP_GARBAGE;

        boolean httpOnly() {
            return name().startsWith("HTTP_");
        }
    }

    private final String name;
    private final int upstreamPort;
    private final ServerSocket server;
    private final ExecutorService threads;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private Fault fault = Fault.NONE;
    /** Connections the fault still applies to; then it clears itself. Negative: until set again. */
    private int remaining = -1;

    FaultProxy(String name, int upstreamPort) {
        this.name = name;
        this.upstreamPort = upstreamPort;
        try {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new IllegalStateException("proxy " + name + " cannot listen", e);
        }
        threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fault-proxy-" + name);
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    String name() {
        return name;
    }

    synchronized Fault fault() {
        return fault;
    }

    /**
     * Switches the fault. When a fault starts, connections already open are cut, so that a pooled or kept-alive
     * connection of the daemon meets it on its next use instead of carrying on through an old tunnel; clearing a
     * fault leaves connections alone (as a peer that recovers does).
     */
    void set(Fault next) {
        set(next, -1);
    }

    /** As {@link #set(Fault)}, for the next {@code connections} connections only (a transient fault), when positive. */
    void set(Fault next, int connections) {
        synchronized (this) {
            fault = next;
            remaining = connections;
        }
        if (next == Fault.NONE) {
            return;
        }
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            Fault now = next();
            open.add(client);
            noDelay(client);
            threads.execute(() -> handle(client, now));
        }
    }

    private synchronized Fault next() {
        Fault now = fault;
        if (now != Fault.NONE && remaining > 0 && --remaining == 0) {
            fault = Fault.NONE;
        }
        return now;
    }

    private void handle(Socket client, Fault now) {
        try {
            switch (now) {
                case REFUSE -> reset(client);
                case STALL -> drain(client);
                case HTTP_500 -> answerHttp(client, "HTTP/1.1 500 Internal Server Error", "{\"errors\":[\"injected\"]}");
                case HTTP_401 -> answerHttp(client, "HTTP/1.1 401 Unauthorized", "{\"errors\":[\"injected\"]}");
                case HTTP_403 -> answerHttp(client, "HTTP/1.1 403 Forbidden", "{\"errors\":[\"permission denied\"]}");
                case HTTP_GARBAGE -> answerRaw(client, "SSH-2.0-not-http\r\n\r\n");
                case NONE, DROP -> tunnel(client, now == Fault.DROP);
            }
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    /** Forwards both ways; with {@code drop}, cuts both sides as soon as the service starts answering. */
    private void tunnel(Socket client, boolean drop) throws IOException {
        Socket upstream = new Socket();
        try {
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 2000);
        } catch (IOException e) {
            reset(client);
            return;
        }
        open.add(upstream);
        noDelay(upstream);
        threads.execute(() -> pump(client, upstream, false));
        pump(upstream, client, drop);
    }

    private void pump(Socket from, Socket to, boolean cutOnFirstReply) {
        byte[] buf = new byte[16384];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (cutOnFirstReply) {
                    // Half a reply reaches the client, then both connections die: a server that crashed mid-answer.
                    out.write(buf, 0, Math.max(1, n / 2));
                    out.flush();
                    reset(to);
                    reset(from);
                    return;
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side closed: close the other below
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /**
     * A relay that forwards each read as it comes must not hold small writes back (Nagle): with delayed ACKs that
     * added up to 40 ms to every request whose headers and body arrive apart, a delay no direct connection has.
     */
    private static void noDelay(Socket s) {
        try {
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            // the connection is already gone: the relay notices on its first read or write
        }
    }

    private void drain(Socket client) throws IOException {
        byte[] buf = new byte[4096];
        InputStream in = client.getInputStream();
        while (in.read(buf) >= 0) {
            // swallow everything, answer nothing: the client's timeout must fire
        }
        closeQuietly(client);
    }

    private void answerHttp(Socket client, String statusLine, String body) throws IOException {
        readRequestHead(client.getInputStream());
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        answerRaw(client, statusLine + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                + "\r\nConnection: close\r\n\r\n" + body);
    }

    private static void readRequestHead(InputStream in) throws IOException {
        int matched = 0;
        int c;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4 && (c = in.read()) >= 0) {
            matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
        }
    }

    private void answerRaw(Socket client, String text) throws IOException {
        OutputStream out = client.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        client.shutdownOutput();
        closeQuietly(client);
    }

    private void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException e) {
            // already closed
        }
        closeQuietly(s);
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // nothing to do
        }
        set(Fault.REFUSE);
        threads.shutdownNow();
    }

    @Override
    public String toString() {
        return "proxy " + name + " :" + port() + " -> :" + upstreamPort + " (" + fault() + ")";
    }
}
