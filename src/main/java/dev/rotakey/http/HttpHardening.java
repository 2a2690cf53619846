package dev.rotakey.http;

import io.dropwizard.core.setup.Environment;
import jakarta.servlet.DispatcherType;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.LifeCycle;

import java.util.EnumSet;

/**
 * Puts the hostile-input defences on both ports: the {@link RequestGuardFilter} in front of every other
 * filter, and one {@link JsonErrorHandler} for both servlet contexts and for the server itself.
 */
public final class HttpHardening {
    private HttpHardening() {
    }

    /** Call before any other filter is added, so that the guard runs first. */
    public static void install(Environment environment, HttpLimitsFactory limits) {
        long maxBody = limits.getMaxRequestBody().toBytes();
        environment.servlets().addFilter("request-guard", new RequestGuardFilter(maxBody, RequestGuardFilter.APPLICATION))
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        environment.admin().addFilter("request-guard", new RequestGuardFilter(maxBody, RequestGuardFilter.ADMIN))
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        JsonErrorHandler errors = new JsonErrorHandler();
        environment.getApplicationContext().setErrorHandler(errors);
        environment.getAdminContext().setErrorHandler(errors);
        // Requests refused before they reach a context (a malformed request line, headers too large) are
        // answered by the server's own error handler, which Dropwizard creates when it builds the server: it is
        // replaced as the server starts, before the connectors open.
        environment.lifecycle().addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStarting(LifeCycle event) {
                if (event instanceof Server server) {
                    server.setErrorHandler(errors);
                }
            }
        });
    }
}
