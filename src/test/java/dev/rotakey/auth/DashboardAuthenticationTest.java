package dev.rotakey.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.dashboard.DashboardHeaders;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.http.RequestGuardFilter;
import dev.rotakey.http.RequestPaths;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard's authentication through a real Jetty with the daemon's filters (request guard, dashboard headers,
 * bearer-token filter) and real tokens on H2: the token as a Basic password is taken on {@code /dashboard} paths
 * only, by the same check and lock-out as a bearer token; a 401 there challenges for Basic too; only GET and HEAD; and
 * no raw-path trick ({@code ..}, {@code %2e%2e}, {@code //}, {@code ;}) carries Basic credentials to another endpoint.
 */
class DashboardAuthenticationTest {
    @TempDir
    static Path dir;
    private static TestDatabase db;
    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-12-07T00:00:00Z"));
    private static OperatorTokens tokens;
    private static AuditLog audit;
    private static Server guarded;
    private static Server unguarded;
    private static final List<String> SERVED = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.H2, dir);
        audit = new AuditLog(db.store(), CLOCK, NodeIdentity.single("test-node"));
        tokens = new OperatorTokens(db.store(), audit, CLOCK, NotifiedCache.local(CLOCK, 100, Duration.ofMinutes(1)));
        guarded = server(true, new AuthenticationFailures(audit, CLOCK));
        unguarded = server(false, new AuthenticationFailures(audit, CLOCK));
    }

    @AfterAll
    static void stop() throws Exception {
        for (Server s : new Server[]{guarded, unguarded}) {
            if (s != null) {
                s.stop();
            }
        }
        db.close();
    }

    /** A Jetty with the API port's filters in the daemon's order and a servlet that says what it served. */
    private static Server server(boolean guard, AuthenticationFailures failures) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        add(context, new DashboardHeaders(), "/dashboard", "/dashboard/*");
        if (guard) {
            add(context, new RequestGuardFilter(64 * 1024, RequestGuardFilter.APPLICATION), "/*");
        }
        add(context, BearerTokenFilter.application(tokens, failures, audit, new ObjectMapper(), List.of("/api/v1/cas/"),
                Set.of("/health/live")), "/*");
        context.addServlet(new ServletHolder(new HttpServlet() {
            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                String served = req.getMethod() + " " + RequestPaths.normalised(req) + " as "
                        + Operator.find(req).map(Operator::role).orElse("nobody");
                synchronized (SERVED) {
                    SERVED.add(served);
                }
                resp.setContentType("text/plain");
                resp.getWriter().write("served " + served);
            }
        }), "/*");
        server.setHandler(context);
        server.start();
        return server;
    }

    private static void add(ServletContextHandler context, Filter filter, String... paths) {
        for (String p : paths) {
            context.addFilter(new FilterHolder(filter), p, EnumSet.of(DispatcherType.REQUEST));
        }
    }

    private static int port(Server s) {
        return ((ServerConnector) s.getConnectors()[0]).getLocalPort();
    }

    /** One raw HTTP/1.1 exchange: the request target is sent exactly as written. */
    record Reply(int status, List<String> headers, String body) {
        List<String> header(String name) {
            String prefix = name.toLowerCase(Locale.ROOT) + ":";
            return headers.stream().filter(h -> h.toLowerCase(Locale.ROOT).startsWith(prefix))
                    .map(h -> h.substring(prefix.length()).trim()).toList();
        }
    }

    private static Reply send(Server server, String method, String target, String authorization) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port(server))) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String raw = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = raw.indexOf("\r\n\r\n");
            String[] head = raw.substring(0, end).split("\r\n");
            return new Reply(Integer.parseInt(head[0].split(" ")[1]), List.of(head).subList(1, head.length), raw.substring(end + 4));
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theTokenAsABasicPasswordOpensTheDashboardToWatchersAndNobodyElse() throws Exception {
        for (String role : List.of("admin", "operator", "auditor", "monitor")) {
            String token = tokens.issue("dash-" + role, role, "token:admin");
            Reply r = send(guarded, "GET", "/dashboard/", basic("whoever", token));
            assertThat(r.status()).as(role + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("served GET /dashboard/ as " + role);
            assertThat(send(guarded, "GET", "/dashboard/credentials/billing-api", basic("", token)).status()).isEqualTo(200);
            assertThat(send(guarded, "GET", "/dashboard/assets/dashboard.css", basic("x", token)).status()).isEqualTo(200);
            // A bearer header keeps working there.
            assertThat(send(guarded, "GET", "/dashboard/", "Bearer " + token).status()).isEqualTo(200);
        }
        String verifier = tokens.issue("dash-verifier", "verifier", "token:admin");
        Reply forbidden = send(guarded, "GET", "/dashboard/", basic("v", verifier));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.body()).contains("may not call GET /dashboard/").doesNotContain(verifier);
    }

    @Test
    void basicCredentialsAreNeverTakenOutsideTheDashboard() throws Exception {
        String admin = tokens.issue("dash-admin-elsewhere", "admin", "token:admin");
        for (String path : List.of("/api/v1/status", "/api/v1/credentials", "/dashboardx", "/api/v1/dashboard/",
                "/x/dashboard/")) {
            Reply r = send(guarded, "GET", path, basic("dash", admin));
            assertThat(r.status()).as(path).isEqualTo(401);
            assertThat(r.header("WWW-Authenticate")).as(path).containsExactly(AuthenticationFailures.CHALLENGE);
            assertThat(r.body()).contains("Bearer scheme").doesNotContain(admin);
        }
        // Raw paths that would route elsewhere are refused before any credential is looked at...
        for (String target : List.of("/dashboard/../api/v1/status", "/dashboard/%2e%2e/api/v1/status",
                "/dashboard/%2E%2E/api/v1/status", "//dashboard/", "/dashboard;x=1/", "/dashboard/..;/api/v1/status",
                "/dashboard/.%2e/api/v1/status", "/dashboard%2f..%2fapi/v1/status", "/dashboard/./../api/v1/status")) {
            Reply r = send(guarded, "GET", target, basic("dash", admin));
            assertThat(r.status()).as(target + ": " + r.body()).isEqualTo(400);
        }
        // ...and even without the guard, the decision is made on the path the container routes: Basic is refused for
        // /api/v1/status however the raw path spells it, and nothing but the dashboard is ever served with it.
        SERVED.clear();
        for (String target : List.of("/dashboard/../api/v1/status", "/dashboard/%2e%2e/api/v1/status",
                "/dashboard/./../api/v1/status", "/dashboard;x=1/../api/v1/status")) {
            Reply r = send(unguarded, "GET", target, basic("dash", admin));
            assertThat(r.status()).as(target + ": " + r.body()).isIn(400, 401);
        }
        assertThat(SERVED).isEmpty();
    }

    @Test
    void onlyAPlainDashboardPathTakesBasicCredentials() {
        for (String path : List.of("/dashboard", "/dashboard/", "/dashboard/credentials/billing-api",
                "/dashboard/assets/dashboard.css")) {
            assertThat(BearerTokenFilter.isDashboard(path)).as(path).isTrue();
        }
        for (String path : List.of("/dashboardx", "/api/v1/dashboard/", "/dashboard/../api/v1/status",
                "/dashboard/./x", "/dashboard/assets/..", "/dashboard//x", "/dashboard/a\\..", "/Dashboard/", "/")) {
            assertThat(BearerTokenFilter.isDashboard(path)).as(path).isFalse();
        }
    }

    @Test
    void aRefusalOnTheDashboardChallengesForBasicAndBearerWithTheSecurityHeaders() throws Exception {
        for (String auth : new String[]{null, basic("dash", "rkt_not-a-token"), "Basic %%%not-base64", basic("dash", ""),
                "Digest username=\"x\""}) {
            Reply r = send(guarded, "GET", "/dashboard/", auth);
            assertThat(r.status()).as(String.valueOf(auth)).isEqualTo(401);
            assertThat(r.header("WWW-Authenticate")).containsExactlyInAnyOrder(
                    "Basic realm=\"Rotakey dashboard\", charset=\"UTF-8\"", "Bearer realm=\"rotakey\"");
            assertThat(r.header("Content-Security-Policy")).containsExactly(DashboardHeaders.CSP);
            assertThat(r.header("X-Content-Type-Options")).containsExactly("nosniff");
            assertThat(r.header("Referrer-Policy")).containsExactly("no-referrer");
            assertThat(r.header("Cache-Control")).containsExactly("no-store");
            assertThat(r.body()).startsWith("{").doesNotContain("Exception").doesNotContain("rkt_not-a-token");
        }
    }

    @Test
    void onlyGetAndHeadReachTheDashboard() throws Exception {
        String admin = tokens.issue("dash-admin-methods", "admin", "token:admin");
        assertThat(send(guarded, "HEAD", "/dashboard/", basic("dash", admin)).status()).isEqualTo(200);
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
            Reply r = send(guarded, method, "/dashboard/", basic("dash", admin));
            assertThat(r.status()).as(method).isEqualTo(405);
            assertThat(r.header("Allow")).containsExactly("GET");
        }
    }

    @Test
    void wrongBasicPasswordsCountTowardsTheSameLockOutAsWrongBearerTokens() throws Exception {
        Server locking = server(true, new AuthenticationFailures(audit, CLOCK,
                new GuessingLockout(3, Duration.ofMinutes(1), Duration.ofMinutes(5), CLOCK)));
        try {
            String admin = tokens.issue("dash-admin-lockout", "admin", "token:admin");
            assertThat(send(locking, "GET", "/dashboard/", basic("dash", "rkt_guess-1")).status()).isEqualTo(401);
            assertThat(send(locking, "GET", "/dashboard/", "Bearer rkt_guess-2").status()).isEqualTo(401);
            assertThat(send(locking, "GET", "/dashboard/", basic("dash", "rkt_guess-3")).status()).isEqualTo(401);
            // Locked out: even the right token is not looked at.
            Reply locked = send(locking, "GET", "/dashboard/", basic("dash", admin));
            assertThat(locked.status()).isEqualTo(429);
            assertThat(locked.header("Retry-After")).isNotEmpty();
        } finally {
            locking.stop();
        }
    }
}
