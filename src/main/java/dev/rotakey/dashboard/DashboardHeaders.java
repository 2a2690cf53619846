package dev.rotakey.dashboard;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * The security headers of every answer under {@code /dashboard}, refusals included (it runs before authentication):
 * a Content-Security-Policy that allows only the dashboard's own stylesheet and images, no framing, no sniffing, no
 * referrer, and no caching (the assets' resource replaces that with a long cache of its own).
 */
public final class DashboardHeaders implements Filter {
    public static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain) throws IOException, ServletException {
        HttpServletResponse response = (HttpServletResponse) resp;
        response.setHeader("Content-Security-Policy", CSP);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Cache-Control", "no-store");
        chain.doFilter(req, resp);
    }
}
