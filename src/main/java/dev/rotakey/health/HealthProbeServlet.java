package dev.rotakey.health;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * {@code /health/live} or {@code /health/ready} on either port, without a token: 200 or 503 with a body that
 * says only {@code {"status": …}}. Why a node is not ready is for the authenticated {@code /healthcheck}; an
 * unauthenticated caller learns nothing but the one bit a load balancer needs. GET and HEAD only.
 */
public final class HealthProbeServlet extends HttpServlet {
    private final transient BooleanSupplier probe;
    private final byte[] up;
    private final byte[] down;

    private HealthProbeServlet(BooleanSupplier probe, String upStatus, String downStatus) {
        this.probe = probe;
        this.up = body(upStatus);
        this.down = body(downStatus);
    }

    /** The process runs and Jetty answers: nothing external is asked, so a slow database never restarts a node. */
    public static HealthProbeServlet liveness() {
        return new HealthProbeServlet(() -> true, "live", "not live");
    }

    /** Whether this node can serve now, as {@code readiness} says. */
    public static HealthProbeServlet readiness(ReadinessProbe readiness) {
        return new HealthProbeServlet(readiness::ready, "ready", "not ready");
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String method = request.getMethod();
        boolean head = "HEAD".equals(method);
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        if (!head && !"GET".equals(method)) {
            byte[] refusal = ("{\"code\":405,\"message\":\"use GET or HEAD\"}").getBytes(StandardCharsets.UTF_8);
            response.setStatus(405);
            response.setHeader("Allow", "GET, HEAD");
            response.setContentLength(refusal.length);
            response.getOutputStream().write(refusal);
            return;
        }
        boolean ok = probe.getAsBoolean();
        byte[] body = ok ? up : down;
        response.setStatus(ok ? 200 : 503);
        response.setContentLength(body.length);
        if (!head) {
            response.getOutputStream().write(body);
        }
    }

    private static byte[] body(String status) {
        return ("{\"status\":\"" + status + "\"}").getBytes(StandardCharsets.UTF_8);
    }
}
