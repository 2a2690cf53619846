package dev.rotakey.health;

import io.dropwizard.core.setup.Environment;

import java.util.Set;

/**
 * Serves {@code /health/live} and {@code /health/ready} on both ports: load balancers usually reach only the
 * API port, and the admin port is loopback-only in production. {@link #PATHS} are exactly the paths the
 * bearer-token filters let through without a token.
 */
public final class HealthProbes {
    public static final String LIVE = "/health/live";
    public static final String READY = "/health/ready";
    /** The normalised request paths that need no token; exact matches only. */
    public static final Set<String> PATHS = Set.of(LIVE, READY);

    private HealthProbes() {
    }

    public static void install(Environment environment, ReadinessProbe readiness) {
        // Exact servlet mappings win over Jersey's "/*" on the API port.
        environment.servlets().addServlet("health-live", HealthProbeServlet.liveness()).addMapping(LIVE);
        environment.servlets().addServlet("health-ready", HealthProbeServlet.readiness(readiness)).addMapping(READY);
        environment.admin().addServlet("health-live", HealthProbeServlet.liveness()).addMapping(LIVE);
        environment.admin().addServlet("health-ready", HealthProbeServlet.readiness(readiness)).addMapping(READY);
    }
}
