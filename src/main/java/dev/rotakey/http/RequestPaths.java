package dev.rotakey.http;

import jakarta.servlet.http.HttpServletRequest;

/**
 * The path a request is routed by: the servlet container's decoded, normalised servlet path and path info,
 * never the raw request URI. Authorization decisions must be made on this path.
 */
public final class RequestPaths {
    private RequestPaths() {
    }

    public static String normalised(HttpServletRequest request) {
        String servletPath = request.getServletPath();
        String pathInfo = request.getPathInfo();
        String path = (servletPath == null ? "" : servletPath) + (pathInfo == null ? "" : pathInfo);
        return path.isEmpty() ? "/" : path;
    }
}
