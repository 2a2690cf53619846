package dev.rotakey.http;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.zip.ZipException;

/**
 * The first filter of both ports: refuses, with a JSON 4xx, what no servlet should have to cope with —
 * an ambiguous path (400), a method the port does not serve (405 with {@code Allow}), a query that does not
 * decode (400), a body over the size limit (413), or one shorter than announced (400, or 408 when the client
 * stalls). What passes reaches the servlets as a {@link GuardedRequest}: body read, query (and form body) decoded.
 */
public final class RequestGuardFilter implements Filter {
    /** Which methods a port serves, by normalised path. */
    public interface MethodRule {
        /** The methods allowed at {@code path}. */
        Set<String> allowed(String path);
    }

    /** The application port: Jersey answers 405 itself for a known method a resource lacks; only these reach it. */
    public static final MethodRule APPLICATION = path -> Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");

    /** The admin port: tasks are POST only, Dropwizard's admin servlets GET (and HEAD) only. */
    public static final MethodRule ADMIN = path -> path.startsWith("/tasks/") ? Set.of("POST") : Set.of("GET", "HEAD");

    private final long maxBody;
    private final MethodRule methods;

    public RequestGuardFilter(long maxBody, MethodRule methods) {
        this.maxBody = maxBody;
        this.methods = methods;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) resp;
        String raw = request.getRequestURI();
        var pathProblem = RawPathRules.problem(raw);
        if (pathProblem.isPresent()) {
            HttpRefusal.send(response, 400, pathProblem.get());
            return;
        }
        String path = RequestPaths.normalised(request);
        Set<String> allowed = methods.allowed(path);
        if (!allowed.contains(request.getMethod())) {
            response.setHeader("Allow", String.join(", ", allowed.stream().sorted().toList()));
            HttpRefusal.send(response, 405, "method " + printable(request.getMethod()) + " is not allowed here; use "
                    + String.join(" or ", allowed.stream().sorted().toList()));
            return;
        }
        Map<String, List<String>> query;
        try {
            query = QueryString.parse(request.getQueryString());
        } catch (QueryString.MalformedException e) {
            HttpRefusal.send(response, 400, e.getMessage());
            return;
        }
        long declared = request.getContentLengthLong();
        if (declared > maxBody) {
            // The body is left unread: the connection cannot be reused.
            response.setHeader("Connection", "close");
            HttpRefusal.send(response, 413, "the request body is larger than " + maxBody + " bytes");
            return;
        }
        byte[] body;
        try {
            body = readBody(request, declared);
        } catch (TooLarge e) {
            response.setHeader("Connection", "close");
            HttpRefusal.send(response, 413, "the request body is larger than " + maxBody + " bytes");
            return;
        } catch (BadEncoding e) {
            response.setHeader("Connection", "close");
            HttpRefusal.send(response, 400, "the request body is not encoded as its Content-Encoding says");
            return;
        } catch (IOException e) {
            boolean stalled = causedByTimeout(e);
            response.setHeader("Connection", "close");
            HttpRefusal.send(response, stalled ? 408 : 400, stalled
                    ? "the request body did not arrive in time"
                    : "the request body ended before its announced length");
            return;
        }
        // The header itself: Jetty's getContentType() throws for a charset it does not know ("charset=foo").
        String type = request.getHeader("Content-Type");
        if (body.length > 0 && type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            // As the servlet API does: a form body's parameters follow the query's.
            try {
                Map<String, List<String>> merged = new java.util.LinkedHashMap<>(query);
                QueryString.parse(new String(body, java.nio.charset.StandardCharsets.ISO_8859_1))
                        .forEach((name, values) -> merged.merge(name, values,
                                (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).toList()));
                query = merged;
            } catch (QueryString.MalformedException e) {
                HttpRefusal.send(response, 400, "the form body: " + e.getMessage());
                return;
            }
        }
        chain.doFilter(new GuardedRequest(request, body, query), resp);
    }

    private byte[] readBody(HttpServletRequest request, long declared) throws IOException {
        // Read whatever comes, whatever the headers say: a request's framing and encodings (chunked, gzip) are
        // Jetty's to undo, and a body nobody reads here would be read, and fail, inside a servlet instead.
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 256), 64 * 1024));
        byte[] buffer = new byte[8192];
        try (InputStream in = request.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (out.size() + (long) n > maxBody) {
                    throw new TooLarge();
                }
                out.write(buffer, 0, n);
            }
        } catch (RuntimeException e) {
            // Jetty's gzip decoder (Content-Encoding: gzip) reports bytes that are not gzip as an unchecked
            // exception around a ZipException: that is the client's error. Anything else is not, and propagates.
            if (e.getCause() instanceof ZipException) {
                throw new BadEncoding();
            }
            throw e;
        }
        if (declared > 0 && out.size() < declared) {
            throw new IOException("short body");
        }
        return out.toByteArray();
    }

    private static boolean causedByTimeout(Throwable e) {
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof TimeoutException || t instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** A method name is the client's text: shown only if it is a plain token. */
    private static String printable(String method) {
        return method != null && method.matches("[A-Z][A-Z_-]{0,19}") ? method : "(unprintable)";
    }

    private static final class BadEncoding extends IOException {
        BadEncoding() {
            super("bad content encoding", null);
        }
    }

    private static final class TooLarge extends IOException {
        TooLarge() {
            super("over the limit", null);
        }
    }
}
