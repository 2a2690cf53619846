package dev.rotakey.testing;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The token store and the AppRole method: issues, looks up, renews and revokes service tokens,
 * judging expiry against a replaceable clock so tests can move time instead of sleeping.
 */
final class VaultTokens {
    /** Vault's default system max TTL (32 days), the cap when a token has no explicit max TTL. */
    static final Duration SYSTEM_MAX_TTL = Duration.ofDays(32);

    /** One issued token; mutable fields are guarded by the token itself. */
    static final class Token {
        final String id;
        final String accessor;
        final List<String> policies;
        final boolean root;
        final boolean renewable;
        final Duration creationTtl;
        final Duration explicitMaxTtl;
        final Instant issueTime;
        final String path;
        final Map<String, String> meta;
        Instant expireTime;
        boolean revoked;

        Token(String id, String accessor, List<String> policies, boolean root, boolean renewable, Duration ttl,
                Duration explicitMaxTtl, Instant issueTime, String path, Map<String, String> meta) {
            this.id = id;
            this.accessor = accessor;
            this.policies = policies;
            this.root = root;
            this.renewable = renewable;
            this.creationTtl = ttl;
            this.explicitMaxTtl = explicitMaxTtl;
            this.issueTime = issueTime;
            this.path = path;
            this.meta = meta;
            this.expireTime = root ? null : issueTime.plus(ttl);
        }

        /** The moment past which renewals cannot extend the token. */
        Instant maxExpire() {
            Duration max = explicitMaxTtl.isZero() ? SYSTEM_MAX_TTL : explicitMaxTtl;
            return issueTime.plus(max);
        }
    }

    private record AppRole(String roleId, String secretId, Duration ttl, boolean renewable, Duration maxTtl) {
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private final Map<String, AppRole> appRoles = new ConcurrentHashMap<>();
    private volatile Clock clock = Clock.systemUTC();
    final Token rootToken;

    VaultTokens() {
        rootToken = new Token("hvs." + randomString(24), randomString(24), List.of("root"), true, false,
                Duration.ZERO, Duration.ZERO, clock.instant(), "auth/token/root", null);
        tokens.put(rootToken.id, rootToken);
    }

    void setClock(Clock clock) {
        this.clock = clock;
    }

    Instant now() {
        return clock.instant();
    }

    private String randomString(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        // Vault token bodies are base62; hex is close enough for a client that treats tokens as opaque.
        return HexFormat.of().formatHex(b);
    }

    Token issue(Duration ttl, boolean renewable, Duration maxTtl, List<String> policies, String path,
            Map<String, String> meta) {
        Instant now = now();
        Duration effective = ttl;
        Duration cap = maxTtl.isZero() ? SYSTEM_MAX_TTL : maxTtl;
        if (effective.isZero() || effective.compareTo(cap) > 0) {
            effective = cap;
        }
        Token t = new Token("hvs." + randomString(24), randomString(12), policies, false, renewable, effective,
                maxTtl, now, path, meta);
        tokens.put(t.id, t);
        return t;
    }

    void enableAppRole(String roleId, String secretId, Duration ttl, boolean renewable, Duration maxTtl) {
        appRoles.put(roleId, new AppRole(roleId, secretId, ttl, renewable, maxTtl));
    }

    /** The live token for a header value, or a 403 exactly as Vault answers a missing, revoked or expired token. */
    Token authenticate(String header) {
        if (header == null || header.isEmpty()) {
            throw VaultError.badToken();
        }
        Token t = tokens.get(header);
        if (t == null) {
            throw VaultError.badToken();
        }
        synchronized (t) {
            if (t.revoked || (t.expireTime != null && !now().isBefore(t.expireTime))) {
                throw VaultError.badToken();
            }
        }
        return t;
    }

    VaultReply handle(VaultCall call) {
        String p = call.path;
        if (!p.startsWith("approle/") && !p.startsWith("token/")) {
            throw VaultError.noHandler("auth/" + p);
        }
        switch (p) {
            case "approle/login" -> {
                requireWrite(call);
                return appRoleLogin(call);
            }
            case "token/lookup-self" -> {
                if (!call.method.equals("GET") && !call.isWrite()) {
                    throw VaultError.unsupportedOperation();
                }
                return VaultReply.data(lookup(call.token));
            }
            case "token/renew-self" -> {
                requireWrite(call);
                return renew(call);
            }
            case "token/revoke-self" -> {
                requireWrite(call);
                synchronized (call.token) {
                    call.token.revoked = true;
                }
                tokens.remove(call.token.id);
                return VaultReply.noContent();
            }
            default -> throw VaultError.unsupportedPath();
        }
    }

    private static void requireWrite(VaultCall call) {
        if (!call.isWrite()) {
            throw VaultError.unsupportedOperation();
        }
    }

    boolean isLogin(String path) {
        return path.equals("auth/approle/login");
    }

    private VaultReply appRoleLogin(VaultCall call) {
        String roleId = call.string("role_id", "").strip();
        if (roleId.isEmpty()) {
            // Vault's AppRole returns a plain error here, which its HTTP layer turns into a 500.
            throw new VaultError(500, List.of("missing role_id"));
        }
        String secretId = call.string("secret_id", "");
        AppRole role = appRoles.get(roleId);
        if (role == null || !role.secretId.equals(secretId)) {
            throw VaultError.badRequest("invalid role or secret ID");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("role_name", "rotakey");
        Token t = issue(role.ttl, role.renewable, role.maxTtl, List.of("default"), "auth/approle/login", meta);
        return VaultReply.auth(authBlock(t), null);
    }

    private Map<String, Object> authBlock(Token t) {
        Map<String, Object> auth = new LinkedHashMap<>();
        auth.put("client_token", t.id);
        auth.put("accessor", t.accessor);
        auth.put("policies", t.policies);
        auth.put("token_policies", t.policies);
        auth.put("metadata", t.meta);
        synchronized (t) {
            auth.put("lease_duration", t.expireTime == null ? 0 : ttlSeconds(t));
        }
        auth.put("renewable", t.renewable);
        auth.put("entity_id", "");
        auth.put("token_type", "service");
        auth.put("orphan", true);
        auth.put("mfa_requirement", null);
        auth.put("num_uses", 0);
        return auth;
    }

    private long ttlSeconds(Token t) {
        long s = Duration.between(now(), t.expireTime).getSeconds();
        return Math.max(0, s);
    }

    private VaultReply renew(VaultCall call) {
        Token t = call.token;
        if (t.root) {
            // The root token has no lease; Vault answers a renewal of a non-expiring token like this.
            throw VaultError.badRequest("lease is not renewable");
        }
        Duration increment = call.duration("increment", Duration.ZERO);
        List<String> warnings = null;
        synchronized (t) {
            if (!t.renewable) {
                throw VaultError.badRequest("lease is not renewable");
            }
            Instant now = now();
            Duration wanted = increment.isZero() ? t.creationTtl : increment;
            Instant target = now.plus(wanted);
            Instant cap = t.maxExpire();
            if (target.isAfter(cap)) {
                target = cap;
                warnings = new ArrayList<>();
                warnings.add("TTL of \"" + VaultDurations.format(wanted) + "\" exceeded the effective max_ttl of \""
                        + VaultDurations.format(Duration.between(now, cap)) + "\"; TTL value is capped accordingly");
            }
            t.expireTime = target;
        }
        return VaultReply.auth(authBlock(t), warnings);
    }

    private Map<String, Object> lookup(Token t) {
        Map<String, Object> d = new LinkedHashMap<>();
        synchronized (t) {
            d.put("accessor", t.accessor);
            d.put("creation_time", t.issueTime.getEpochSecond());
            d.put("creation_ttl", t.creationTtl.getSeconds());
            d.put("display_name", t.root ? "root" : "approle");
            d.put("entity_id", "");
            d.put("expire_time", t.expireTime == null ? null : VaultReply.rfc3339(t.expireTime));
            d.put("explicit_max_ttl", t.explicitMaxTtl.getSeconds());
            d.put("id", t.id);
            d.put("issue_time", VaultReply.rfc3339(t.issueTime));
            d.put("meta", t.meta);
            d.put("num_uses", 0);
            d.put("orphan", true);
            d.put("path", t.path);
            d.put("policies", t.policies);
            d.put("renewable", t.renewable);
            d.put("ttl", t.expireTime == null ? 0 : ttlSeconds(t));
            d.put("type", "service");
        }
        return d;
    }
}
