package dev.rotakey.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.api.ErrorBody;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.http.RequestPaths;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Bearer-token authentication for both ports: every request needs {@code Authorization: Bearer
 * <token>} (on the API port's dashboard, {@code /dashboard/...}, also the token as an HTTP Basic password, for a
 * browser) except the listed public prefixes, the listed public paths (exact, such as the load balancers' health
 * probes), and a version's ack, which may present that version's secret
 * instead (checked by its resource). With mutual TLS on the API port, a request without an {@code Authorization}
 * header is authenticated by its client certificate ({@link ClientCertificates}); a bearer token, when there is one,
 * decides and the certificate is not looked at. Decisions are made on the normalised path the container routes by: who may call
 * what is {@link AccessPolicy}'s. Refusals answer 401 (no valid token) or 403 (a role the policy does not allow) with
 * a JSON body and are audited.
 */
public final class BearerTokenFilter implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger(BearerTokenFilter.class);

    /**
     * The one path that may instead be authenticated by the body's {@code key}: a version's ack. Exact
     * segments only (no dot segments, no encoded slashes), so that no other resource can be reached through it.
     */
    static final java.util.regex.Pattern KEY_AUTHENTICATED =
            java.util.regex.Pattern.compile("/api/v1/credentials/[A-Za-z0-9][A-Za-z0-9._-]*/versions/[0-9]{1,9}/ack");

    /** The servlet attribute the container puts the client's certificate chain in (leaf first). */
    static final String CLIENT_CERTIFICATES = "jakarta.servlet.request.X509Certificate";

    private final boolean keyAuthenticatedAck;
    private final OperatorTokens tokens;
    private final AuthenticationFailures failures;
    private final AuditLog audit;
    private final ObjectMapper mapper;
    private final List<String> publicPrefixes;
    private final Set<String> publicPaths;
    private final ClientCertificates certificates;

    /** The admin port's filter. */
    public static BearerTokenFilter admin(OperatorTokens tokens, AuthenticationFailures failures, AuditLog audit,
                                          ObjectMapper mapper, List<String> publicPrefixes, Set<String> publicPaths) {
        return new BearerTokenFilter(tokens, failures, audit, mapper, publicPrefixes, publicPaths, false, null);
    }

    /** The application port's filter, which also lets a version's ack through without a token. */
    public static BearerTokenFilter application(OperatorTokens tokens, AuthenticationFailures failures, AuditLog audit,
                                                ObjectMapper mapper, List<String> publicPrefixes, Set<String> publicPaths) {
        return application(tokens, failures, audit, mapper, publicPrefixes, publicPaths, null);
    }

    /** The application port's filter, which also authenticates client certificates with {@code certificates} (null: none). */
    public static BearerTokenFilter application(OperatorTokens tokens, AuthenticationFailures failures, AuditLog audit,
                                                ObjectMapper mapper, List<String> publicPrefixes, Set<String> publicPaths,
                                                ClientCertificates certificates) {
        return new BearerTokenFilter(tokens, failures, audit, mapper, publicPrefixes, publicPaths, true, certificates);
    }

    /**
     * @param publicPrefixes      request paths (servlet path + path info) starting with one of these need no token
     * @param publicPaths         request paths equal to one of these need no token
     * @param keyAuthenticatedAck whether a version's ack may come without a token (the application port only)
     */
    private BearerTokenFilter(OperatorTokens tokens, AuthenticationFailures failures, AuditLog audit, ObjectMapper mapper,
                              List<String> publicPrefixes, Set<String> publicPaths, boolean keyAuthenticatedAck,
                              ClientCertificates certificates) {
        this.keyAuthenticatedAck = keyAuthenticatedAck;
        this.tokens = tokens;
        this.failures = failures;
        this.audit = audit;
        this.mapper = mapper;
        this.publicPrefixes = List.copyOf(publicPrefixes);
        this.publicPaths = Set.copyOf(publicPaths);
        this.certificates = certificates;
    }

    /** The challenge a 401 under the dashboard carries besides the bearer one, so that a browser asks for the token. */
    static final String DASHBOARD_CHALLENGE = "Basic realm=\"Rotakey dashboard\", charset=\"UTF-8\"";

    /**
     * Whether this normalised path is the dashboard's, the only place a token may come as a Basic password. Only a
     * plain one: the container leaves some dot segments in the path it routes by ({@code /dashboard;x=1/../api} is
     * routed as {@code /dashboard/../api}), so a path with an empty or dot segment is never the dashboard's here, even
     * where the request guard that refuses such raw paths first is missing.
     */
    static boolean isDashboard(String normalisedPath) {
        if (!normalisedPath.equals("/dashboard") && !normalisedPath.startsWith("/dashboard/")) {
            return false;
        }
        String rest = normalisedPath.substring("/dashboard".length());
        for (String segment : rest.isEmpty() ? new String[0] : rest.substring(1).split("/", -1)) {
            if (segment.equals(".") || segment.equals("..") || segment.contains("\\")) {
                return false;
            }
        }
        return !rest.contains("//");
    }

    /** The password of Basic credentials ({@code base64(user:password)}), or null when they are malformed or empty. */
    static String basicPassword(String credentials) {
        byte[] decoded;
        try {
            decoded = java.util.Base64.getDecoder().decode(credentials);
        } catch (IllegalArgumentException e) {
            return null;
        }
        String pair = new String(decoded, java.nio.charset.StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        String password = colon < 0 ? "" : pair.substring(colon + 1).trim();
        return password.isEmpty() ? null : password;
    }

    /** Whether a request for this normalised path needs no token at all. */
    boolean isPublic(String normalisedPath) {
        return publicPaths.contains(normalisedPath) || publicPrefixes.stream().anyMatch(normalisedPath::startsWith);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) resp;
        // The path the container routes, never the raw URI: "/ping/../healthcheck" starts with "/ping" but is
        // served by the health check. (RequestGuardFilter refuses such raw paths before this filter anyway.)
        String path = RequestPaths.normalised(request);
        if (isPublic(path)) {
            chain.doFilter(req, resp);
            return;
        }
        OptionalLong wait = failures.retryAfter(request.getRemoteAddr());
        if (wait.isPresent()) {
            // Locked out for guessing: nothing it presents is checked, a valid token included.
            response.setHeader("Retry-After", Long.toString(wait.getAsLong()));
            refuse(response, AuthenticationFailures.tooManyFailures(wait.getAsLong()));
            return;
        }
        String header = request.getHeader("Authorization");
        X509Certificate[] presented = header == null && certificates != null
                && request.getAttribute(CLIENT_CERTIFICATES) instanceof X509Certificate[] certs && certs.length > 0 ? certs : null;
        Optional<Operator> operator = Optional.empty();
        if (presented != null) {
            // No token: the client certificate authenticates, or the request is refused like a wrong token.
            ClientCertificates.Outcome outcome;
            try {
                outcome = certificates.authenticate(presented);
            } catch (RuntimeException e) {
                LOG.error("client certificate check failed", e);
                refuse(response, new ErrorBody(503, "cannot check the client certificate now", null));
                return;
            }
            if (outcome instanceof ClientCertificates.Refused refused) {
                ErrorBody body = failures.refuse(AuthenticationFailures.Kind.CLIENT_CERTIFICATE, request.getRemoteAddr(),
                        request.getMethod() + " " + path, refused.problem());
                response.setHeader(AuthenticationFailures.CHALLENGE_HEADER, AuthenticationFailures.CHALLENGE);
                refuse(response, body);
                return;
            }
            operator = Optional.of(((ClientCertificates.Identified) outcome).operator());
        } else if (keyAuthenticatedAck && header == null && "POST".equals(request.getMethod()) && KEY_AUTHENTICATED.matcher(path).matches()) {
            // A consumer acknowledging a version proves itself with that version's secret, in the body:
            // the resource must check it and refuses the call without it. No operator is set.
            chain.doFilter(req, resp);
            return;
        }
        if (operator.isEmpty()) {
            String problem;
            boolean dashboard = keyAuthenticatedAck && isDashboard(path);
            String token = null;
            if (header == null) {
                problem = AuthenticationFailures.MISSING_TOKEN;
            } else if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                token = header.substring(7).trim();
                problem = "unknown or revoked token";
            } else if (dashboard && header.regionMatches(true, 0, "Basic ", 0, 6)) {
                // A browser cannot send a bearer header when it navigates: on the dashboard only, the token may come as
                // a Basic password (any user name), checked exactly as a bearer token is.
                token = basicPassword(header.substring(6).trim());
                problem = token == null ? "malformed Basic credentials: use the token as the password"
                        : "unknown or revoked token";
            } else {
                problem = dashboard ? "Authorization header must use the Bearer scheme, or Basic with the token as the password"
                        : "Authorization header must use the Bearer scheme";
            }
            if (token != null) {
                try {
                    operator = tokens.authenticate(token);
                } catch (RuntimeException e) {
                    LOG.error("token check failed", e);
                    refuse(response, new ErrorBody(503, "cannot check the token now", null));
                    return;
                }
            }
            if (operator.isEmpty()) {
                ErrorBody body = failures.refuse(keyAuthenticatedAck ? AuthenticationFailures.Kind.APPLICATION_TOKEN
                        : AuthenticationFailures.Kind.ADMIN_TOKEN, request.getRemoteAddr(), request.getMethod() + " " + path, problem);
                if (dashboard) {
                    response.addHeader(AuthenticationFailures.CHALLENGE_HEADER, DASHBOARD_CHALLENGE);
                }
                response.addHeader(AuthenticationFailures.CHALLENGE_HEADER, AuthenticationFailures.CHALLENGE);
                refuse(response, body);
                return;
            }
        }
        AccessPolicy.Port port = keyAuthenticatedAck ? AccessPolicy.Port.API : AccessPolicy.Port.ADMIN;
        switch (operator.get().decide(port, request.getMethod(), path)) {
            case ALLOWED -> {
            }
            case UNKNOWN -> {
                refuse(response, new ErrorBody(404, "no such endpoint", null));
                return;
            }
            case WRONG_METHOD -> {
                response.setHeader("Allow", String.join(", ", AccessPolicy.methods(port, path)));
                refuse(response, new ErrorBody(405, "method " + request.getMethod() + " is not allowed here", null));
                return;
            }
            case FORBIDDEN -> {
                try {
                    audit.record(operator.get().actor(), AuditAction.AUTH_FORBIDDEN, request.getMethod() + " " + path,
                            "denied", "role " + operator.get().role());
                } catch (RuntimeException e) {
                    LOG.warn("cannot audit a forbidden request", e);
                }
                refuse(response, new ErrorBody(403, (operator.get().via() == Operator.Via.CERTIFICATE ? "a client certificate"
                        : "a token") + " with role '" + operator.get().role() + "' may not call "
                        + request.getMethod() + " " + path, null));
                return;
            }
        }
        // The role this call needed, for the posture report's token-too-broad: noted in memory, written every minute.
        tokens.noteCall(operator.get(), port, request.getMethod(), path);
        request.setAttribute(Operator.ATTRIBUTE, operator.get());
        Operator.setCurrent(operator.get());
        try {
            chain.doFilter(req, resp);
        } finally {
            Operator.setCurrent(null);
        }
    }

    private void refuse(HttpServletResponse response, ErrorBody body) throws IOException {
        response.setStatus(body.code());
        response.setContentType("application/json");
        mapper.writeValue(response.getOutputStream(), body);
    }
}
