package dev.rotakey.auth;

import dev.rotakey.service.OwnerScope;
import jakarta.servlet.http.HttpServletRequest;

import java.time.Instant;

/**
 * The authenticated caller of an API or admin request: a named bearer token or a client certificate ({@code via}), its
 * role, until when the digest it was found by is valid (null: until revoked), the owner an owner-scoped token is bound
 * to (null: none), and the agent a SPIFFE ID names (null: none).
 */
public record Operator(String name, String role, Instant validUntil, String owner, String agent, Via via) {
    static final String ATTRIBUTE = Operator.class.getName();
    private static final ThreadLocal<Operator> CURRENT = new ThreadLocal<>();

    /** How the caller authenticated. */
    public enum Via { TOKEN, CERTIFICATE }

    /** A bearer token. */
    public Operator(String name, String role, Instant validUntil, String owner) {
        this(name, role, validUntil, owner, null, Via.TOKEN);
    }

    /**
     * A client certificate: {@code name} is its SPIFFE ID ({@code spiffe://td/agent/a1}) for an agent, else
     * {@code cert:<subject>}; valid for the request it came with, whose certificate was checked.
     */
    public static Operator certificate(String name, Role role, String agent) {
        return new Operator(name, role.wireName(), null, null, agent, Via.CERTIFICATE);
    }

    /** A token valid until revoked, bound to no owner. */
    public Operator(String name, String role) {
        this(name, role, null, null);
    }

    /** A token bound to no owner. */
    public Operator(String name, String role, Instant validUntil) {
        this(name, role, validUntil, null);
    }

    /** Whether the token has expired by {@code now} (or its previous digest's grace period ended). */
    boolean expiredAt(Instant now) {
        return validUntil != null && !now.isBefore(validUntil);
    }

    /** The operator the authentication filter admitted for this request. */
    public static Operator of(HttpServletRequest request) {
        Object o = request.getAttribute(ATTRIBUTE);
        if (o instanceof Operator op) {
            return op;
        }
        throw new IllegalStateException("request reached a resource without authentication");
    }

    /** The operator the filter admitted, or empty on the one path a version's own secret may authenticate. */
    public static java.util.Optional<Operator> find(HttpServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof Operator op ? java.util.Optional.of(op) : java.util.Optional.empty();
    }

    /**
     * The operator of the request on this thread. Dropwizard tasks get no request object, so the
     * admin filter also keeps the operator here for the length of the request.
     */
    public static Operator current() {
        Operator op = CURRENT.get();
        if (op == null) {
            throw new IllegalStateException("no authenticated operator on this thread");
        }
        return op;
    }

    /** The operator of the request on this thread, or empty if none was authenticated. */
    public static java.util.Optional<Operator> findCurrent() {
        return java.util.Optional.ofNullable(CURRENT.get());
    }

    static void setCurrent(Operator op) {
        if (op == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(op);
        }
    }

    /** Whether its role may call {@code method path} on {@code port}, as {@link AccessPolicy} declares. */
    public boolean mayCall(AccessPolicy.Port port, String method, String path) {
        return decide(port, method, path) == AccessPolicy.Decision.ALLOWED;
    }

    /** What {@link AccessPolicy} says of its call of {@code method path} on {@code port}. */
    public AccessPolicy.Decision decide(AccessPolicy.Port port, String method, String path) {
        return AccessPolicy.decide(port, Role.of(role).orElse(null), method, path);
    }

    /** What the caller is confined to: its owner's inventory, its agent's, or everything its role allows. */
    public OwnerScope.Bounds bounds() {
        return new OwnerScope.Bounds(owner, agent);
    }

    /**
     * The name recorded as the actor of audit events: {@code token:<name>}, an agent's SPIFFE ID
     * ({@code spiffe://...}) or {@code cert:<subject or SAN>}.
     */
    public String actor() {
        return via == Via.CERTIFICATE ? name : "token:" + name;
    }
}
