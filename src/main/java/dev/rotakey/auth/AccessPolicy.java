package dev.rotakey.auth;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static dev.rotakey.auth.Role.ADMIN;
import static dev.rotakey.auth.Role.AGENT;
import static dev.rotakey.auth.Role.AUDITOR;
import static dev.rotakey.auth.Role.MONITOR;
import static dev.rotakey.auth.Role.OPERATOR;
import static dev.rotakey.auth.Role.OWNER;
import static dev.rotakey.auth.Role.VERIFIER;

/**
 * Who may call what: every endpoint of both ports and every admin task, with the roles that may call it, in one
 * table. Decisions are made on the normalised path the container routes by. A request that no rule matches is refused
 * whatever its token's role (405 where the path has rules for other methods, else 404), so an endpoint added without a
 * rule cannot be called by anyone (and the test that walks every endpoint with every role fails). Paths that need no
 * token at all (health probes, {@code /ping}, the CAs' public certificates and CRLs) are the authentication filter's,
 * not listed here.
 */
public final class AccessPolicy {
    /** The two ports, each with its own endpoints. */
    public enum Port { API, ADMIN }

    /**
     * One endpoint: a method and a path template whose {@code {name}} segments match any one segment.
     *
     * @param roles who may call it
     */
    public record Rule(Port port, String method, String template, Set<Role> roles, Pattern path) {
        boolean matches(Port p, String m, String requested) {
            return port == p && method.equals(m) && path.matcher(requested).matches();
        }

        boolean exact() {
            return !template.contains("{");
        }
    }

    private static final Set<Role> READERS = EnumSet.of(ADMIN, OPERATOR, AUDITOR);
    /** Readers and owner-scoped tokens, which the resources confine to their owner's inventory. */
    private static final Set<Role> INVENTORY_READERS = EnumSet.of(ADMIN, OPERATOR, AUDITOR, OWNER);
    /**
     * Inventory readers and an agent's certificate, which the resources confine to that one agent's own
     * credentials (404 for anything else).
     */
    private static final Set<Role> OWN_CREDENTIAL_READERS = EnumSet.of(ADMIN, OPERATOR, AUDITOR, OWNER, AGENT);
    private static final Set<Role> CHANGERS = EnumSet.of(ADMIN, OPERATOR);
    private static final Set<Role> WATCHERS = EnumSet.of(ADMIN, OPERATOR, AUDITOR, MONITOR);
    private static final Set<Role> ADMINS = EnumSet.of(ADMIN);

    /** The table. */
    public static final List<Rule> RULES = List.of(
            api("POST", "/api/v1/agents", CHANGERS),
            api("GET", "/api/v1/agents", INVENTORY_READERS),
            // An agent's certificate may read its own agent (the resource checks).
            api("GET", "/api/v1/agents/{id}", OWN_CREDENTIAL_READERS),
            api("PATCH", "/api/v1/agents/{id}", CHANGERS),
            // Owner-scoped tokens attest their own agents, or one being transferred to them (the service checks).
            api("POST", "/api/v1/agents/{id}/attest", EnumSet.of(ADMIN, OPERATOR, OWNER)),
            api("POST", "/api/v1/credentials", CHANGERS),
            api("POST", "/api/v1/credentials:batch", CHANGERS),
            api("GET", "/api/v1/credentials", OWN_CREDENTIAL_READERS),
            api("GET", "/api/v1/credentials/{id}", OWN_CREDENTIAL_READERS),
            // Not owner-scoped tokens: a change may bind the secret to other targets, which only operators may choose.
            api("PATCH", "/api/v1/credentials/{id}", CHANGERS),
            // Owner-scoped tokens retire their own owner's credentials (the resource checks), as they rotate them.
            api("DELETE", "/api/v1/credentials/{id}", EnumSet.of(ADMIN, OPERATOR, OWNER)),
            api("GET", "/api/v1/credentials/{id}/rotations", OWN_CREDENTIAL_READERS),
            // Also open without a token to a consumer that presents the version's own secret (the filter's); an
            // agent's certificate acknowledges its own credentials' versions (the resource checks).
            api("POST", "/api/v1/credentials/{id}/versions/{n}/ack", EnumSet.of(ADMIN, OPERATOR, AGENT)),
            // The rotate task's work on the API port: owner-scoped tokens and agents their own (the resource checks).
            api("POST", "/api/v1/credentials/{id}/rotate", EnumSet.of(ADMIN, OPERATOR, OWNER, AGENT)),
            api("GET", "/api/v1/rotations/{id}", INVENTORY_READERS),
            api("POST", "/api/v1/api-keys/verify", EnumSet.of(ADMIN, VERIFIER)),
            api("GET", "/api/v1/audit", READERS),
            api("GET", "/api/v1/audit/verify", READERS),
            api("GET", "/api/v1/audit/export", READERS),
            api("GET", "/api/v1/alerts", READERS),
            api("GET", "/api/v1/status", READERS),
            api("GET", "/api/v1/plan", READERS),
            api("GET", "/api/v1/batches", READERS),
            // Owner-scoped tokens follow the batches of their own rotate tasks (the resource checks).
            api("GET", "/api/v1/batches/{id}", INVENTORY_READERS),
            api("GET", "/api/v1/tokens", EnumSet.of(ADMIN, AUDITOR)),
            api("GET", "/api/v1/posture", READERS),
            api("GET", "/api/v1/openapi.json", READERS),
            api("GET", "/api/v1/fleet", READERS),
            api("GET", "/api/v1/rotations", READERS),
            // The read-only dashboard (dev.rotakey.dashboard), pages and assets: monitoring tokens see it too. The
            // only paths where the filter also takes the token as an HTTP Basic password, for a browser.
            api("GET", "/dashboard", WATCHERS),
            api("GET", "/dashboard/", WATCHERS),
            api("GET", "/dashboard/credentials/{id}", WATCHERS),
            api("GET", "/dashboard/assets/{name}", WATCHERS),

            admin("GET", "/", WATCHERS),
            admin("GET", "/healthcheck", WATCHERS),
            admin("GET", "/metrics", WATCHERS),
            admin("GET", "/metrics/prometheus", WATCHERS),
            admin("GET", "/threads", ADMINS),
            admin("GET", "/pprof", ADMINS),
            admin("GET", "/tasks", CHANGERS),
            // Owner-scoped tokens: their owner's agents and credentials only (the task checks).
            admin("POST", "/tasks/rotate", EnumSet.of(ADMIN, OPERATOR, OWNER)),
            admin("POST", "/tasks/revoke", CHANGERS),
            admin("POST", "/tasks/decommission", CHANGERS),
            admin("POST", "/tasks/pause-rotations", CHANGERS),
            admin("POST", "/tasks/resume-rotations", CHANGERS),
            admin("POST", "/tasks/rotate-ca", ADMINS),
            admin("POST", "/tasks/issue-token", ADMINS),
            admin("POST", "/tasks/rotate-token", ADMINS),
            admin("POST", "/tasks/revoke-token", ADMINS),
            admin("POST", "/tasks/gc", ADMINS),
            admin("POST", "/tasks/log-level", ADMINS));

    /** The rules without a variable segment by port, method and path: the verify endpoint's is found without a scan. */
    private static final Map<String, Rule> EXACT = RULES.stream().filter(Rule::exact)
            .collect(Collectors.toUnmodifiableMap(r -> key(r.port(), r.method(), r.template()), r -> r));
    private static final List<Rule> TEMPLATES = RULES.stream().filter(r -> !r.exact()).toList();

    private AccessPolicy() {
    }

    private static Rule api(String method, String template, Set<Role> roles) {
        return rule(Port.API, method, template, roles);
    }

    private static Rule admin(String method, String template, Set<Role> roles) {
        return rule(Port.ADMIN, method, template, roles);
    }

    private static Rule rule(Port port, String method, String template, Set<Role> roles) {
        return new Rule(port, method, template, Set.copyOf(roles), pattern(template));
    }

    private static String key(Port port, String method, String path) {
        return port + " " + method + " " + path;
    }

    private static Pattern pattern(String template) {
        StringBuilder regex = new StringBuilder();
        Matcher m = Pattern.compile("\\{[a-z]+}").matcher(template);
        int at = 0;
        while (m.find()) {
            regex.append(Pattern.quote(template.substring(at, m.start()))).append("[^/]+");
            at = m.end();
        }
        return Pattern.compile(regex.append(Pattern.quote(template.substring(at))).toString());
    }

    /** The rule of an endpoint; a {@code HEAD} is judged as the {@code GET} it is part of. */
    public static Optional<Rule> rule(Port port, String method, String path) {
        String m = "HEAD".equals(method) ? "GET" : method;
        Rule exact = EXACT.get(key(port, m, path));
        return exact != null ? Optional.of(exact) : TEMPLATES.stream().filter(r -> r.matches(port, m, path)).findFirst();
    }

    /** Whether a token of {@code role} may call {@code method path} on {@code port}: never where no rule says so. */
    public static boolean allows(Port port, Role role, String method, String path) {
        return decide(port, role, method, path) == Decision.ALLOWED;
    }

    /** What the table says of a call by an authenticated caller. */
    public enum Decision {
        ALLOWED,
        /** The endpoint exists; the caller's role may not call it (403). */
        FORBIDDEN,
        /** The path is an endpoint's, the method none of its (405). */
        WRONG_METHOD,
        /** No endpoint has this path (404). */
        UNKNOWN
    }

    /** The decision on {@code method path} on {@code port} for a token of {@code role} (null: a role no longer known). */
    public static Decision decide(Port port, Role role, String method, String path) {
        Optional<Rule> rule = rule(port, method, path);
        if (rule.isPresent()) {
            return role != null && rule.get().roles().contains(role) ? Decision.ALLOWED : Decision.FORBIDDEN;
        }
        return methods(port, path).isEmpty() ? Decision.UNKNOWN : Decision.WRONG_METHOD;
    }

    /** The methods the table declares for {@code path} on {@code port}, for an {@code Allow} header. */
    public static List<String> methods(Port port, String path) {
        return RULES.stream().filter(r -> r.port() == port && r.path().matcher(path).matches()).map(Rule::method)
                .distinct().toList();
    }
}
