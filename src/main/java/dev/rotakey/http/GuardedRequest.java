package dev.rotakey.http;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A request whose body was read in full (within the size limit) and whose query was decoded strictly by
 * {@link RequestGuardFilter}: servlets read exactly the bytes and parameters that were checked, and no
 * I/O failure or decoding error can surface inside them. Parameters come from the query and a form body.
 */
final class GuardedRequest extends HttpServletRequestWrapper {
    private final byte[] body;
    private final Map<String, String[]> parameters;
    private boolean streamTaken;

    GuardedRequest(HttpServletRequest request, byte[] body, Map<String, List<String>> query) {
        super(request);
        this.body = body;
        this.parameters = Collections.unmodifiableMap(query.entrySet().stream().collect(Collectors.toMap(
                Map.Entry::getKey, e -> e.getValue().toArray(String[]::new), (a, b) -> a, java.util.LinkedHashMap::new)));
    }

    @Override
    public ServletInputStream getInputStream() {
        streamTaken = true;
        ByteArrayInputStream in = new ByteArrayInputStream(body);
        return new ServletInputStream() {
            @Override
            public boolean isFinished() {
                return in.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener listener) {
                try {
                    listener.onDataAvailable();
                    listener.onAllDataRead();
                } catch (java.io.IOException e) {
                    listener.onError(e);
                }
            }

            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, len);
            }
        };
    }

    @Override
    public BufferedReader getReader() {
        if (streamTaken) {
            throw new IllegalStateException("getInputStream() was called");
        }
        Charset charset = StandardCharsets.UTF_8;
        try {
            String declared = getCharacterEncoding();
            if (declared != null && Charset.isSupported(declared)) {
                charset = Charset.forName(declared);
            }
        } catch (IllegalArgumentException e) {
            // An unknown or nonsense charset name (Jetty throws for one): read as UTF-8, as for none.
        }
        return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), charset));
    }

    @Override
    public int getContentLength() {
        return body.length;
    }

    @Override
    public long getContentLengthLong() {
        return body.length;
    }

    @Override
    public String getParameter(String name) {
        String[] values = parameters.get(name);
        return values == null ? null : values[0];
    }

    @Override
    public Map<String, String[]> getParameterMap() {
        return parameters;
    }

    @Override
    public Enumeration<String> getParameterNames() {
        return Collections.enumeration(parameters.keySet());
    }

    @Override
    public String[] getParameterValues(String name) {
        String[] values = parameters.get(name);
        return values == null ? null : values.clone();
    }
}
