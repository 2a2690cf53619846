package dev.rotakey.auth;

import dev.rotakey.auth.AccessPolicy.Port;
import dev.rotakey.health.HealthProbes;
import dev.rotakey.e2e.MtlsSetup;
import dev.rotakey.e2e.RunningDaemon;
import dev.rotakey.testing.SoftHsmTokens;
import org.eclipse.jetty.ee10.servlet.ServletMapping;
import org.glassfish.jersey.server.model.Resource;
import org.glassfish.jersey.server.model.ResourceMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every endpoint of the real daemon, found from what it registered (Jersey's resources, the admin context's servlets,
 * the task list), with a token of every role: each endpoint has a rule in {@link AccessPolicy}, each rule an endpoint,
 * and each role is let through exactly where the rule says and refused with 403 elsewhere. An endpoint added without a
 * rule fails here.
 */
class AccessPolicyEndToEndIT {
    /** Public without any token: the CAs' certificates and CRLs, the probes, {@code /ping}. */
    private static final String PUBLIC_API_PREFIX = "/api/v1/cas/";
    /** What Dropwizard's AdminServlet serves under its {@code /*} mapping. */
    private static final List<String> ADMIN_SERVLET_PATHS = List.of("/", "/metrics", "/threads", "/healthcheck", "/pprof");

    @TempDir
    static Path dir;
    static RunningDaemon daemon;
    static final Map<Role, String> TOKENS = new EnumMap<>(Role.class);
    /** The agent role's caller: a client presenting an agent's certificate from agents-ca (no token can carry it). */
    static java.net.http.HttpClient agentClient;
    private static final String OURS = "team-a@example.com";

    @BeforeAll
    static void start() throws Exception {
        // Mutual TLS on the API port, so that the agent role (a certificate's SPIFFE ID) is walked like the others.
        MtlsSetup tls = new MtlsSetup(dir.resolve("tls"));
        daemon = new RunningDaemon(tls.config(), dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey"),
                SoftHsmTokens.APP, RunningDaemon.uniqueName("access"), tls.anonymous(), tls.connector());
        RunningDaemon.Answer agent = daemon.post("/api/v1/agents", "{\"id\":\"policy-agent\",\"owner\":\"robots@example.com\"}");
        assertThat(agent.status()).as(agent.body()).isEqualTo(201);
        RunningDaemon.Answer cert = daemon.post("/api/v1/credentials", "{\"id\":\"policy-agent-cert\",\"agent\":\"policy-agent\","
                + "\"type\":\"certificate\",\"ca\":\"agents-ca\",\"validity\":\"PT1H\",\"gracePeriod\":\"PT2S\",\"targets\":[{\"target\":"
                + "\"local-files\",\"path\":\"policy-agent/cert\"}]}");
        assertThat(cert.status()).as(cert.body()).isEqualTo(201);
        Path files = daemon.dataDir().resolve("delivered/policy-agent/cert");
        agentClient = MtlsSetup.client(tls.fromPem(files.resolve("key.pem"), files.resolve("cert.pem"), files.resolve("chain.pem")));
        for (Role role : Role.values()) {
            if (!role.issuable()) {
                continue;
            }
            RunningDaemon.Answer a = daemon.task("/tasks/issue-token?name=t-" + role.wireName() + "&role=" + role.wireName()
                    + (role == Role.OWNER ? "&owner=" + OURS : ""));
            assertThat(a.status()).as(a.body()).isEqualTo(200);
            TOKENS.put(role, a.json().path("token").asText());
        }
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    /** One endpoint: its port, method and path template. */
    record Endpoint(Port port, String method, String template) {
        String samplePath() {
            return template.replaceAll("\\{[^}]+}", "x1");
        }

        @Override
        public String toString() {
            return port + " " + method + " " + template;
        }
    }

    /** The application port's endpoints, from the resources Jersey serves. */
    private static List<Endpoint> apiEndpoints() {
        List<Endpoint> out = new ArrayList<>();
        var config = daemon.environment().jersey().getResourceConfig();
        Stream.concat(config.getClasses().stream(), config.getInstances().stream().map(Object::getClass))
                .filter(Resource::isAcceptable).map(Resource::from).filter(r -> r != null && r.getPath() != null)
                .forEach(r -> walk(r, "", out));
        return out.stream().filter(e -> !e.template().startsWith(PUBLIC_API_PREFIX)).distinct().toList();
    }

    private static void walk(Resource r, String parent, List<Endpoint> out) {
        String path = join(parent, r.getPath());
        for (ResourceMethod m : r.getResourceMethods()) {
            out.add(new Endpoint(Port.API, m.getHttpMethod(), path));
            if (path.equals("/dashboard")) {
                // The dashboard's overview is also served at /dashboard/ (Jersey takes the trailing slash), its usual URL.
                out.add(new Endpoint(Port.API, m.getHttpMethod(), "/dashboard/"));
            }
        }
        for (Resource child : r.getChildResources()) {
            walk(child, path, out);
        }
    }

    private static String join(String parent, String path) {
        String p = path == null ? "" : path.replaceAll("^/+|/+$", "");
        return p.isEmpty() ? parent : parent + "/" + p;
    }

    /** The admin port's endpoints: its servlets' mappings, what AdminServlet serves, and every task. */
    private static List<Endpoint> adminEndpoints() {
        Set<String> specs = new TreeSet<>();
        for (ServletMapping m : daemon.environment().getAdminContext().getServletHandler().getServletMappings()) {
            specs.addAll(List.of(m.getPathSpecs()));
        }
        List<Endpoint> out = new ArrayList<>();
        for (String spec : specs) {
            switch (spec) {
                case "/*" -> ADMIN_SERVLET_PATHS.forEach(p -> out.add(new Endpoint(Port.ADMIN, "GET", p)));
                case "/tasks/*" -> {
                    out.add(new Endpoint(Port.ADMIN, "GET", "/tasks"));
                    RunningDaemon.Answer list = daemon.adminGet("/tasks");
                    assertThat(list.status()).isEqualTo(200);
                    list.body().lines().map(String::strip).filter(n -> !n.isEmpty())
                            .forEach(n -> out.add(new Endpoint(Port.ADMIN, "POST", "/tasks/" + n)));
                }
                default -> {
                    if (!HealthProbes.PATHS.contains(spec) && !"/ping".equals(spec)) {
                        out.add(new Endpoint(Port.ADMIN, "GET", spec));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyEndpointHasARuleAndEveryRuleAnEndpoint() {
        List<Endpoint> endpoints = new ArrayList<>(apiEndpoints());
        endpoints.addAll(adminEndpoints());
        assertThat(endpoints).as("found from what the daemon registered").hasSizeGreaterThan(30);

        assertThat(endpoints.stream().filter(e -> AccessPolicy.rule(e.port(), e.method(), e.samplePath()).isEmpty()))
                .as("endpoints without a rule in AccessPolicy").isEmpty();
        assertThat(AccessPolicy.RULES.stream().filter(r -> endpoints.stream().noneMatch(e ->
                        e.port() == r.port() && e.method().equals(r.method()) && r.path().matcher(e.samplePath()).matches()))
                .map(r -> r.port() + " " + r.method() + " " + r.template()))
                .as("rules of no endpoint").isEmpty();
    }

    @Test
    void everyRoleIsLetThroughWhereItsRuleSaysAndRefusedWithA403Elsewhere() {
        List<Endpoint> endpoints = new ArrayList<>(apiEndpoints());
        endpoints.addAll(adminEndpoints());
        // The CPU profile would take its default 10 s each time; pause-rotations, which acts without parameters, is
        // undone after.
        endpoints.removeIf(e -> e.template().equals("/pprof"));
        List<String> wrong = new ArrayList<>();
        try {
            for (Endpoint e : endpoints) {
                for (Role role : Role.values()) {
                    boolean allowed = AccessPolicy.allows(e.port(), role, e.method(), e.samplePath());
                    int status = role == Role.AGENT ? callAsAgent(e) : call(e, TOKENS.get(role));
                    // The admin port has no TLS: an agent cannot even present its certificate there.
                    int refused = role == Role.AGENT && e.port() == Port.ADMIN ? 401 : 403;
                    if (role == Role.AGENT && e.port() == Port.ADMIN && allowed) {
                        wrong.add(e + " allows the agent role on the admin port, where no certificate is presented");
                    } else if (allowed ? (status == 401 || status == 403) : status != refused) {
                        wrong.add(e + " as " + role.wireName() + ": " + status + (allowed ? " (allowed)" : " (denied)"));
                    }
                }
            }
        } finally {
            daemon.task("/tasks/resume-rotations");
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void anOwnerScopedTokenSeesAndRotatesOnlyItsOwnersAgentsAndCredentials() {
        String owner = TOKENS.get(Role.OWNER);
        agentWithKey("ours", OURS);
        agentWithKey("theirs", "team-b@example.com");
        String theirRotation = daemon.task("/tasks/rotate?credential=theirs-key").json().path("rotations").path(0)
                .path("id").asText();
        assertThat(theirRotation).isNotEmpty();

        assertThat(get("/api/v1/agents", owner).json().path("agents").findValuesAsText("id")).containsExactly("ours");
        assertThat(get("/api/v1/agents/ours", owner).status()).isEqualTo(200);
        assertThat(get("/api/v1/agents/theirs", owner).status()).isEqualTo(404);
        assertThat(get("/api/v1/credentials", owner).json().path("credentials").findValuesAsText("id"))
                .containsExactly("ours-key");
        assertThat(get("/api/v1/credentials?agent=theirs", owner).json().path("credentials")).isEmpty();
        assertThat(get("/api/v1/credentials/ours-key", owner).status()).isEqualTo(200);
        for (String path : List.of("/api/v1/credentials/theirs-key", "/api/v1/credentials/theirs-key/rotations",
                "/api/v1/rotations/" + theirRotation, "/api/v1/credentials/nobodys")) {
            RunningDaemon.Answer a = get(path, owner);
            assertThat(a.status()).as(path).isEqualTo(404);
            assertThat(a.body()).as("says nothing of the other owner's").doesNotContain("team-b");
        }

        assertThat(task("/tasks/rotate?credential=theirs-key", owner).status()).isEqualTo(404);
        assertThat(task("/tasks/rotate?agent=theirs", owner).status()).isEqualTo(404);
        RunningDaemon.Answer ours = task("/tasks/rotate?credential=ours-key", owner);
        assertThat(ours.status()).as(ours.body()).isEqualTo(200);
        String ourRotation = ours.json().path("rotations").path(0).path("id").asText();
        assertThat(get("/api/v1/rotations/" + ourRotation, owner).status()).isEqualTo(200);
        assertThat(get(ours.json().path("batch").path("href").asText(), owner).status()).as("its own batch")
                .isEqualTo(200);
        String theirBatch = daemon.task("/tasks/rotate?agent=theirs").json().path("batch").path("href").asText();
        assertThat(get(theirBatch, owner).status()).as("another owner's batch").isEqualTo(404);
        assertThat(get("/api/v1/batches", owner).status()).as("the list of every batch").isEqualTo(403);

        assertThat(daemon.send(HttpRequest.newBuilder(daemon.app("/api/v1/agents")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"mine\",\"owner\":\"" + OURS + "\"}")), owner)
                .status()).as("an owner-scoped token creates nothing").isEqualTo(403);
        assertThat(daemon.task("/tasks/issue-token?name=no-owner&role=owner").status()).as("an owner is required")
                .isBetween(400, 499);
    }

    private static void agentWithKey(String agent, String owner) {
        RunningDaemon.Answer a = daemon.post("/api/v1/agents", "{\"id\":\"" + agent + "\",\"owner\":\"" + owner + "\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        a = daemon.post("/api/v1/credentials", "{\"id\":\"" + agent + "-key\",\"agent\":\"" + agent
                + "\",\"type\":\"api-key\",\"backend\":\"hsm\",\"targets\":[{\"target\":\"local-files\",\"path\":\""
                + agent + "/key\"}]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
    }

    private static RunningDaemon.Answer get(String path, String token) {
        return daemon.send(HttpRequest.newBuilder(daemon.app(path)).GET(), token);
    }

    private static RunningDaemon.Answer task(String pathAndQuery, String token) {
        return daemon.send(HttpRequest.newBuilder(daemon.admin(pathAndQuery)).POST(HttpRequest.BodyPublishers.noBody()),
                token);
    }

    /** The call as the agent: its client certificate on the API port; nothing it could present on the admin port. */
    private static int callAsAgent(Endpoint e) {
        if (e.port() == Port.ADMIN) {
            return call(e, null);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(daemon.app(e.samplePath())).timeout(java.time.Duration.ofSeconds(30));
        if (e.method().equals("GET")) {
            b.GET();
        } else {
            b.header("Content-Type", "application/json").method(e.method(), HttpRequest.BodyPublishers.ofString("{}"));
        }
        try {
            return agentClient.send(b.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception ex) {
            throw new AssertionError("request failed: " + ex, ex);
        }
    }

    private static int call(Endpoint e, String token) {
        var uri = e.port() == Port.API ? daemon.app(e.samplePath()) : daemon.admin(e.samplePath());
        HttpRequest.Builder b = HttpRequest.newBuilder(uri);
        if (e.method().equals("GET")) {
            b.GET();
        } else {
            b.header("Content-Type", "application/json").method(e.method(), HttpRequest.BodyPublishers.ofString("{}"));
        }
        return daemon.send(b, token).status();
    }
}
