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
import java.util.List;
import java.util.Optional;

/**
 * Bearer-token authentication for both ports: every request needs {@code Authorization: Bearer
 * <token>} except the listed public paths, and a version's ack, which may present that version's secret
 * instead (checked by its resource). Decisions are made on the normalised path the container routes by.
 * Refusals answer 401 with a JSON body and are audited.
 */
public final class BearerTokenFilter implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger(BearerTokenFilter.class);
    static final int AUDITED_FAILURES_PER_MINUTE = 20;

    /**
     * The one path that may instead be authenticated by the body's {@code key}: a version's ack. Exact
     * segments only (no dot segments, no encoded slashes), so that no other resource can be reached through it.
     */
    static final java.util.regex.Pattern KEY_AUTHENTICATED =
            java.util.regex.Pattern.compile("/api/v1/credentials/[A-Za-z0-9][A-Za-z0-9._-]*/versions/[0-9]{1,9}/ack");

    private final boolean keyAuthenticatedAck;
    private final OperatorTokens tokens;
    private final AuditLog audit;
    private final ObjectMapper mapper;
    private final List<String> publicPrefixes;
    private final FailureBudget failures = new FailureBudget(AUDITED_FAILURES_PER_MINUTE, java.time.Clock.systemUTC());

    /**
     * @param publicPrefixes request paths (servlet path + path info) starting with one of these
     *                       need no token
     */
    public BearerTokenFilter(OperatorTokens tokens, AuditLog audit, ObjectMapper mapper, List<String> publicPrefixes) {
        this(tokens, audit, mapper, publicPrefixes, false);
    }

    /** @param keyAuthenticatedAck whether a version's ack may come without a token (the application port only) */
    public BearerTokenFilter(OperatorTokens tokens, AuditLog audit, ObjectMapper mapper, List<String> publicPrefixes,
                             boolean keyAuthenticatedAck) {
        this.keyAuthenticatedAck = keyAuthenticatedAck;
        this.tokens = tokens;
        this.audit = audit;
        this.mapper = mapper;
        this.publicPrefixes = List.copyOf(publicPrefixes);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) resp;
        // The path the container routes, never the raw URI: "/ping/../healthcheck" starts with "/ping" but is
        // served by the health check. (RequestGuardFilter refuses such raw paths before this filter anyway.)
        String path = RequestPaths.normalised(request);
        if (publicPrefixes.stream().anyMatch(path::startsWith)) {
            chain.doFilter(req, resp);
            return;
        }
        String header = request.getHeader("Authorization");
        if (keyAuthenticatedAck && header == null && "POST".equals(request.getMethod()) && KEY_AUTHENTICATED.matcher(path).matches()) {
            // A consumer acknowledging a version proves itself with that version's secret, in the body:
            // the resource must check it and refuses the call without it. No operator is set.
            chain.doFilter(req, resp);
            return;
        }
        Optional<Operator> operator = Optional.empty();
        String problem;
        if (header == null) {
            problem = "missing Authorization header: use 'Authorization: Bearer <token>'";
        } else if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            problem = "Authorization header must use the Bearer scheme";
        } else {
            try {
                operator = tokens.authenticate(header.substring(7).trim());
            } catch (RuntimeException e) {
                LOG.error("token check failed: {}", e.toString());
                response.setStatus(503);
                response.setContentType("application/json");
                mapper.writeValue(response.getOutputStream(), new ErrorBody(503, "cannot check the token now", null));
                return;
            }
            problem = "unknown or revoked token";
        }
        if (operator.isEmpty()) {
            if (failures.allow(request.getRemoteAddr())) {
                try {
                    audit.record("anonymous", AuditAction.AUTH_FAILED, request.getMethod() + " " + path, "denied",
                            problem + " from " + request.getRemoteAddr());
                } catch (RuntimeException e) {
                    LOG.warn("cannot audit a failed authentication: {}", e.toString());
                }
            } else {
                LOG.debug("failed authentication from {} not audited: over {} this minute", request.getRemoteAddr(),
                        AUDITED_FAILURES_PER_MINUTE);
            }
            response.setStatus(401);
            response.setHeader("WWW-Authenticate", "Bearer realm=\"rotakey\"");
            response.setContentType("application/json");
            mapper.writeValue(response.getOutputStream(), new ErrorBody(401, problem, null));
            return;
        }
        if (!operator.get().mayCall(request.getMethod(), path)) {
            try {
                audit.record(operator.get().actor(), AuditAction.AUTH_FORBIDDEN, request.getMethod() + " " + path,
                        "denied", "role " + operator.get().role());
            } catch (RuntimeException e) {
                LOG.warn("cannot audit a forbidden request: {}", e.toString());
            }
            response.setStatus(403);
            response.setContentType("application/json");
            mapper.writeValue(response.getOutputStream(), new ErrorBody(403, "a token with role '"
                    + operator.get().role() + "' may not call " + request.getMethod() + " " + path, null));
            return;
        }
        request.setAttribute(Operator.ATTRIBUTE, operator.get());
        Operator.setCurrent(operator.get());
        try {
            chain.doFilter(req, resp);
        } finally {
            Operator.setCurrent(null);
        }
    }
}
