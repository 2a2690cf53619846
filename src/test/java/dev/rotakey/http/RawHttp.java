package dev.rotakey.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Sends bytes to a port on loopback exactly as given and reads the answer: for requests that
 * java.net.http would normalise or refuse to send (dot segments, bad framing, short bodies, raw
 * methods). Every request is sent with {@code Connection: close} by its caller, and read to the end.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** A parsed answer; {@code status} is -1 if the connection closed without one. */
    public record Reply(int status, Map<String, String> headers, String body, long millis) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Sends {@code request}; with {@code halfClose} the client then says it will send no more. */
    public static Reply send(int port, byte[] request, boolean halfClose, int timeoutMillis) {
        return send(null, port, request, halfClose, timeoutMillis);
    }

    /** Sends {@code request} from the loopback address {@code from} (such as 127.0.0.2), as another client would. */
    public static Reply sendFrom(String from, int port, String request) {
        return send(from, port, request.getBytes(StandardCharsets.UTF_8), false, 20_000);
    }

    private static Reply send(String from, int port, byte[] request, boolean halfClose, int timeoutMillis) {
        long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            if (from != null) {
                socket.bind(new InetSocketAddress(from, 0));
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(timeoutMillis);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
                if (halfClose) {
                    socket.shutdownOutput();
                }
            } catch (IOException e) {
                // The server may answer and close before it has read everything (a 413): read what it said.
            }
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            InputStream stream = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                int n;
                while ((n = stream.read(buffer)) >= 0) {
                    in.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no complete answer within " + timeoutMillis + " ms; got: "
                        + in.toString(StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                // A reset after the answer: keep what arrived.
            }
            return parse(in.toByteArray(), (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            throw new IllegalStateException("cannot talk to 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
    }

    public static Reply send(int port, String request) {
        return send(port, request.getBytes(StandardCharsets.UTF_8), false, 20_000);
    }

    static Reply parse(byte[] raw, long millis) {
        String text = new String(raw, StandardCharsets.UTF_8);
        // Interim answers (100 Continue) come before the real one.
        while (text.startsWith("HTTP/1.1 1") && text.indexOf("\r\n\r\n") > 0) {
            text = text.substring(text.indexOf("\r\n\r\n") + 4);
        }
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || end < 0) {
            return new Reply(-1, Map.of(), text, millis);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        String body = text.substring(end + 4);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Reply(status, headers, body, millis);
    }

    private static String dechunk(String body) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < body.length()) {
            int eol = body.indexOf("\r\n", i);
            if (eol < 0) {
                break;
            }
            int size = Integer.parseInt(body.substring(i, eol).split(";")[0].trim(), 16);
            if (size == 0) {
                break;
            }
            out.append(body, eol + 2, Math.min(body.length(), eol + 2 + size));
            i = eol + 2 + size + 2;
        }
        return out.toString();
    }

    /** A request with {@code Connection: close}, optional bearer token and body. */
    public static String request(String method, String target, String bearer, String contentType, String body) {
        StringBuilder r = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .append("Connection: close\r\n");
        if (bearer != null) {
            r.append("Authorization: Bearer ").append(bearer).append("\r\n");
        }
        if (contentType != null) {
            r.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (body != null) {
            r.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
        }
        r.append("\r\n");
        if (body != null) {
            r.append(body);
        }
        return r.toString();
    }
}
