package dev.rotakey.resources;

import dev.rotakey.api.ApiJson;
import dev.rotakey.auth.Operator;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.testing.junit5.ResourceExtension;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.core.MediaType;
import org.glassfish.jersey.internal.inject.AbstractBinder;
import org.glassfish.jersey.process.internal.RequestScoped;
import org.glassfish.jersey.server.ContainerRequest;

import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the resource tests share: Jersey in memory with the application's JSON settings and exception mappers, the
 * caller the bearer filter would have admitted (named by a test header, since no servlet filter runs here), and a
 * migrated H2 database for the services behind the resources.
 */
final class ResourceTests {
    /** The operator a request comes from; without it the request is anonymous, as only an ack may be. */
    static final String OPERATOR = "X-Test-Operator";
    /** The owner an owner-scoped token (named {@code owner-<owner>}) is bound to, for a request without an operator. */
    static final String OWNER = "X-Test-Owner";
    /** The address a request comes from, {@link #REMOTE_ADDRESS} unless this header says otherwise. */
    static final String FROM = "X-Test-Remote-Address";
    static final String REMOTE_ADDRESS = "192.0.2.7";
    static final java.time.Instant NOW = java.time.Instant.parse("2026-12-01T00:00:00Z");
    static final java.time.Clock CLOCK = java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC);
    private static TestDatabase database;

    private ResourceTests() {
    }

    /** The extension for {@code resources}, which are made when the container starts. */
    @SafeVarargs
    static ResourceExtension extension(Supplier<Object>... resources) {
        ResourceExtension.Builder b = ResourceExtension.builder()
                .setMapper(ApiJson.configure(Jackson.newObjectMapper()))
                .addProvider(new CallerBinder());
        for (Supplier<Object> r : resources) {
            b.addResource(r);
        }
        ExceptionMappers.all().forEach(b::addProvider);
        return b.build();
    }

    /**
     * One migrated H2 database for every resource test in this JVM (migrating takes seconds, the tests milliseconds):
     * each test class uses its own ids.
     */
    static synchronized TestDatabase database() {
        if (database == null) {
            try {
                Path dir = Files.createTempDirectory("rotakey-resource-test");
                database = TestDatabases.open(TestDatabases.Engine.H2, dir);
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            } catch (Exception e) {
                throw new IllegalStateException("cannot open the resource tests' database", e);
            }
        }
        return database;
    }

    /** The {@code field} of each item of the page's list {@code items}, in order. */
    static List<Object> each(Map<?, ?> page, String items, String field) {
        return ((List<?>) page.get(items)).stream().<Object>map(i -> ((Map<?, ?>) i).get(field)).toList();
    }

    static Entity<String> json(String body) {
        return Entity.entity(body, MediaType.APPLICATION_JSON_TYPE);
    }

    /** Supplies resources' {@code @Context HttpServletRequest}: the in-memory container has no servlet request. */
    private static final class CallerBinder extends AbstractBinder {
        @Override
        protected void configure() {
            bindFactory(CallerRequest.class).to(HttpServletRequest.class).proxy(false).in(RequestScoped.class);
        }
    }

    /** The servlet request as far as resources read it: the admitted operator and the remote address. */
    static final class CallerRequest implements Supplier<HttpServletRequest> {
        private final Provider<ContainerRequest> request;

        @Inject
        CallerRequest(Provider<ContainerRequest> request) {
            this.request = request;
        }

        @Override
        public HttpServletRequest get() {
            String name = request.get().getHeaderString(OPERATOR);
            String from = request.get().getHeaderString(FROM);
            String address = from == null ? REMOTE_ADDRESS : from;
            String owner = request.get().getHeaderString(OWNER);
            Operator operator = name != null ? new Operator(name, "admin")
                    : owner != null ? new Operator("owner-" + owner, "owner", null, owner) : null;
            return (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
                    new Class<?>[]{HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "getAttribute" -> Operator.class.getName().equals(args[0]) ? operator : null;
                        case "getRemoteAddr" -> address;
                        case "toString" -> "test request";
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }
}
