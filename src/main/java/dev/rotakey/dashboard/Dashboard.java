package dev.rotakey.dashboard;

import dev.rotakey.RotakeyComponents;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.views.common.ViewMessageBodyWriter;
import io.dropwizard.views.mustache.MustacheViewRenderer;
import jakarta.servlet.DispatcherType;

import java.util.EnumSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * Puts the dashboard on the API port: its resource, the Mustache renderer of its pages, and the filter of its
 * security headers, ahead of authentication so that refusals carry them too.
 */
public final class Dashboard {
    private Dashboard() {
    }

    /** {@code resources}: how the application registers (and documents) a resource. */
    public static void register(RotakeyComponents c, Environment environment, Consumer<Object> resources) {
        DashboardAssets assets = new DashboardAssets();
        environment.jersey().register(new ViewMessageBodyWriter(environment.metrics(), List.of(new MustacheViewRenderer())));
        resources.accept(new DashboardResource(
                new Overview(c.status(), c.fleetQueries(), c.planner(), c.operatorQueries(), c.authorities(), assets, c.clock()),
                new CredentialPages(c.credentialQueries(), c.agents(), c.operatorQueries(), assets), assets));
        // Not after the other filters: first, so that the bearer filter's 401 and the guard's 400 carry the headers.
        environment.servlets().addFilter("dashboard-headers", new DashboardHeaders())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/dashboard", "/dashboard/*");
    }
}
