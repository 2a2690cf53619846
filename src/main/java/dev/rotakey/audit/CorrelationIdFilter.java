package dev.rotakey.audit;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.MDC;

import java.io.IOException;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Gives every HTTP request a correlation id (the caller's {@code X-Request-Id} when it is a sane
 * token, a new UUID otherwise), so that its audit events, log lines and the rotations it starts can
 * be tied together; the id is returned in the {@code X-Request-Id} response header.
 */
public final class CorrelationIdFilter implements Filter {
    public static final String HEADER = "X-Request-Id";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._-]{8,64}");

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain) throws IOException, ServletException {
        String given = ((HttpServletRequest) req).getHeader(HEADER);
        String id = given != null && SANE.matcher(given).matches() ? given : UUID.randomUUID().toString();
        ((HttpServletResponse) resp).setHeader(HEADER, id);
        MDC.put(AuditLog.MDC_CORRELATION, id);
        try {
            chain.doFilter(req, resp);
        } finally {
            MDC.remove(AuditLog.MDC_CORRELATION);
        }
    }
}
