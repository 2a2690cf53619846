package dev.rotakey.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.backend.KeyBackendAuthenticationException;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.config.SecretUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A logged-in connection to Vault: holds the current token (never in logs, {@code toString} or
 * exceptions), logs in through AppRole, renews the token at 2/3 of its lease and logs in again
 * when renewal is refused or the lease ran out, and sends each request with the current token
 * through {@link #call(String, String, Map)}; {@link VaultExchange} does the HTTP and maps Vault's
 * answers to Rotakey's {@link KeyBackendException} family.
 *
 * <p>Renewal is driven by {@link #renewIfDue()}, run on one daemon thread once
 * {@link #startRenewal()} is called and also lazily before a call whose token is due, so a
 * suspended scheduler never makes a call use an expired token. Time comes from the injected
 * {@link Clock}, so tests move it instead of sleeping.
 */
public final class VaultSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VaultSession.class);
    /** How long the scheduler waits before trying again after a failed renewal or login. */
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(30);

    /**
     * The token in use and its lease as Vault reported it. {@code lease} zero means it never
     * expires (a root or periodic-less token); {@code capped} means Vault granted less than asked
     * on the last renewal (the max TTL is near), so AppRole logs in again instead of renewing.
     */
    private record Lease(String token, Instant obtained, Duration lease, boolean renewable, Duration increment,
                         boolean capped) {
        boolean expires() {
            return !lease.isZero();
        }

        Instant renewAt() {
            return obtained.plus(lease.multipliedBy(2).dividedBy(3));
        }

        Instant expiresAt() {
            return obtained.plus(lease);
        }

        @Override
        public String toString() {
            return "Lease{obtained=" + obtained + ", lease=" + lease + ", renewable=" + renewable + "}";
        }
    }

    private final VaultExchange http;
    private final VaultCredentials credentials;
    private final Clock clock;
    private final Object loginLock = new Object();

    private volatile Lease lease;
    private volatile String tokenProblem;
    private volatile boolean closed;
    // Guarded by this.
    private ScheduledExecutorService renewal;
    private Lease warnedAbout;

    VaultSession(VaultTransport transport, VaultCredentials credentials, Clock clock) {
        this(new VaultExchange(transport), credentials, clock);
    }

    private VaultSession(VaultExchange http, VaultCredentials credentials, Clock clock) {
        this.http = http;
        this.credentials = credentials;
        this.clock = clock;
    }

    /** A session on the same server and credentials whose requests bypass the driver (or not); for tests. */
    VaultSession withDirectTransport(boolean direct) {
        return new VaultSession(http.withDirectTransport(direct), credentials, clock);
    }

    /** The Vault address ({@code https://vault:8200}, no trailing slash). */
    public String address() {
        return http.address();
    }

    /** The namespace sent with every request, or empty. */
    public Optional<String> namespace() {
        return Optional.ofNullable(http.namespace());
    }

    /** {@code token} or {@code approle}. */
    public String authMethod() {
        return credentials instanceof VaultCredentials.AppRole ? "approle" : "token";
    }

    /** When the current token expires; empty before login and for tokens without a TTL. */
    public Optional<Instant> tokenExpiry() {
        Lease l = lease;
        return l == null || !l.expires() ? Optional.empty() : Optional.of(l.expiresAt());
    }

    /**
     * A warning about the token's lifetime (a static token about to expire or expired, that cannot
     * be renewed), for status reports; empty when all is well.
     */
    public Optional<String> tokenProblem() {
        return Optional.ofNullable(tokenProblem);
    }

    /** Whether a token is held (logged in, or a static token looked up). */
    public boolean loggedIn() {
        return lease != null;
    }

    /** Reads {@code path}; a 404 gives a response whose {@link VaultResponse#found()} is false. */
    public VaultResponse read(String path) {
        return call("GET", path, null);
    }

    /** Lists the keys under {@code path} ({@code GET ?list=true}); a 404 (nothing there) is not found. */
    public VaultResponse list(String path) {
        return call("LIST", path, null);
    }

    /** Writes {@code body} to {@code path} with POST. */
    public VaultResponse write(String path, Map<String, ?> body) {
        return call("POST", path, body == null ? Map.of() : body);
    }

    /** Deletes {@code path}; a 404 is answered, not thrown. */
    public VaultResponse delete(String path) {
        return call("DELETE", path, null);
    }

    /**
     * Sends one authenticated request and maps the answer: 2xx and 404 for GET/LIST/DELETE are
     * returned; 503 (sealed), other 5xx, 429 and network failures throw
     * {@link KeyBackendUnavailableException}; 403 throws {@link VaultPermissionDeniedException}
     * naming the path (after one fresh AppRole login, since the token may have been revoked);
     * 400 and other statuses throw a non-retryable {@link KeyBackendException} with Vault's errors.
     *
     * @param method {@code GET}, {@code LIST}, {@code POST}, {@code PUT} or {@code DELETE}
     * @param path   relative to {@code /v1/}, e.g. {@code transit/keys/rotakey-hmac}; an optional query after {@code ?}
     * @param body   JSON body fields, or null
     */
    public VaultResponse call(String method, String path, Map<String, ?> body) {
        VaultExchange.checkPath(path);
        if (closed) {
            throw new KeyBackendUnavailableException("Vault session for " + address() + " is closed");
        }
        Lease current = ensureToken();
        try {
            return http.send(method, path, body, current.token());
        } catch (VaultPermissionDeniedException denied) {
            if (!(credentials instanceof VaultCredentials.AppRole) || path.startsWith("auth/")) {
                throw denied;
            }
            // A revoked or expired token is also a 403: one fresh login tells it apart from a policy refusal.
            LOG.info("Vault denied {}; logging in again through AppRole once before giving up", path);
            Lease fresh = login(current);
            return http.send(method, path, body, fresh.token());
        }
    }

    /**
     * Logs in now: through AppRole, or for a static token by looking it up ({@code lookup-self})
     * to learn its TTL. Throws like {@link #call}; a refused AppRole login is a
     * {@link KeyBackendAuthenticationException}.
     */
    public void login() {
        login(lease);
    }

    /**
     * The renewal step: does nothing until 2/3 of the lease has passed, then renews the token
     * ({@code renew-self}); an AppRole session logs in again when renewal is refused, the token is
     * not renewable, the max TTL caps the renewal, or the token already expired. A static token
     * that cannot be renewed is reported in {@link #tokenProblem()} and the log. Returns when the
     * step should run next.
     */
    public Instant renewIfDue() {
        Lease l = lease;
        Instant now = clock.instant();
        if (l == null || !l.expires() || now.isBefore(l.renewAt())) {
            return l == null || !l.expires() ? now.plus(Duration.ofHours(1)) : l.renewAt();
        }
        synchronized (loginLock) {
            l = lease;
            now = clock.instant();
            if (l == null || !l.expires() || now.isBefore(l.renewAt())) {
                return l == null || !l.expires() ? now.plus(Duration.ofHours(1)) : l.renewAt();
            }
            boolean appRole = credentials instanceof VaultCredentials.AppRole;
            if (!now.isBefore(l.expiresAt())) {
                if (appRole) {
                    LOG.info("Vault token expired at {}; logging in again through AppRole", l.expiresAt());
                    return login(l).renewAt();
                }
                staticTokenProblem(l, "the static Vault token expired at " + l.expiresAt()
                        + ": replace it and reconnect");
                return now.plus(Duration.ofHours(1));
            }
            if (l.renewable() && !l.capped()) {
                try {
                    return renew(l).renewAt();
                } catch (KeyBackendUnavailableException e) {
                    throw e;
                } catch (KeyBackendException refused) {
                    if (!appRole) {
                        staticTokenProblem(l, "Vault refused to renew the static token (" + refused.getMessage()
                                + "); it expires at " + l.expiresAt(), refused);
                        return l.expiresAt();
                    }
                    LOG.info("Vault refused to renew the token ({}); logging in again through AppRole", refused.getMessage());
                    return login(l).renewAt();
                }
            }
            if (appRole) {
                return login(l).renewAt();
            }
            staticTokenProblem(l, "the static Vault token " + (l.renewable() ? "reaches its max TTL" : "is not renewable")
                    + " and expires at " + l.expiresAt() + ": replace it before then");
            return l.expiresAt();
        }
    }

    /** Runs {@link #renewIfDue()} on a single daemon thread, rescheduling itself; idempotent. */
    public synchronized void startRenewal() {
        if (renewal != null || closed) {
            return;
        }
        renewal = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vault-token-renewal");
            t.setDaemon(true);
            return t;
        });
        schedule(Duration.ZERO);
    }

    private synchronized void schedule(Duration delay) {
        if (renewal == null || closed) {
            return;
        }
        renewal.schedule(this::scheduledRenewal, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }

    private void scheduledRenewal() {
        Duration next;
        try {
            Instant at = lease == null ? clock.instant().plus(Duration.ofHours(1)) : renewIfDue();
            next = Duration.between(clock.instant(), at);
            if (next.compareTo(Duration.ofSeconds(1)) < 0) {
                next = Duration.ofSeconds(1);
            }
        } catch (RuntimeException e) {
            LOG.warn("Vault token renewal failed, trying again in {}: {}", RETRY_AFTER_FAILURE, e.getMessage(), e);
            next = RETRY_AFTER_FAILURE;
        }
        schedule(next);
    }

    @Override
    public void close() {
        ScheduledExecutorService r;
        synchronized (this) {
            closed = true;
            r = renewal;
            renewal = null;
        }
        if (r != null) {
            r.shutdownNow();
        }
        lease = null;
    }

    @Override
    public String toString() {
        return "VaultSession{address=" + address() + ", namespace=" + http.namespace() + ", auth=" + credentials
                + ", lease=" + lease + "}";
    }

    /** The current lease, after a first login, or a renewal when due (lazily, in case the scheduler is late). */
    private Lease ensureToken() {
        Lease l = lease;
        if (l == null) {
            return login(null);
        }
        if (l.expires() && !clock.instant().isBefore(l.renewAt())) {
            try {
                renewIfDue();
            } catch (KeyBackendUnavailableException e) {
                // Renewal failing while the token is still valid must not fail the call itself.
                if (!clock.instant().isBefore(l.expiresAt())) {
                    throw e;
                }
                LOG.warn("Vault token renewal failed, using the current token until {}: {}", l.expiresAt(), e.getMessage(),
                        e);
            }
            Lease now = lease;
            if (now == null) {
                return login(null);
            }
            return now;
        }
        return l;
    }

    /** Logs in unless another thread already replaced {@code seen}; returns the lease to use. */
    private Lease login(Lease seen) {
        synchronized (loginLock) {
            Lease l = lease;
            if (l != null && l != seen) {
                return l;
            }
            Lease fresh = credentials instanceof VaultCredentials.AppRole appRole ? appRoleLogin(appRole) : lookUpStatic();
            lease = fresh;
            return fresh;
        }
    }

    private Lease appRoleLogin(VaultCredentials.AppRole appRole) {
        char[] secretId;
        try {
            secretId = appRole.takeSecretId();
        } catch (SecretUnavailableException e) {
            throw new KeyBackendUnavailableException("Vault AppRole login impossible: " + e.getMessage());
        }
        String path = appRole.loginPath();
        VaultResponse response;
        try {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("role_id", appRole.roleId());
            body.put("secret_id", new String(secretId));
            response = http.send("POST", path, body, null);
        } catch (VaultPermissionDeniedException e) {
            throw e;
        } catch (KeyBackendUnavailableException e) {
            throw e;
        } catch (KeyBackendException e) {
            throw new KeyBackendAuthenticationException("Vault AppRole login at " + path + " refused: " + e.getMessage());
        } finally {
            Arrays.fill(secretId, '\0');
        }
        JsonNode auth = response.auth();
        String token = auth.path("client_token").asText("");
        if (token.isEmpty()) {
            throw new KeyBackendUnavailableException("Vault AppRole login at " + path + " answered without a client token");
        }
        Duration ttl = Duration.ofSeconds(auth.path("lease_duration").asLong(0));
        tokenProblem = null;
        LOG.info("Logged in to Vault at {} through AppRole ({}); token lease {}", address(), path, ttl);
        return new Lease(token, clock.instant(), ttl, auth.path("renewable").asBoolean(false), ttl, false);
    }

    /**
     * A static token: {@code lookup-self} gives its remaining TTL. A policy that denies lookup-self
     * leaves the lifetime unknown: the token is used as is and never renewed.
     */
    private Lease lookUpStatic() {
        String token = ((VaultCredentials.StaticToken) credentials).token();
        Instant now = clock.instant();
        try {
            VaultResponse r = http.send("GET", "auth/token/lookup-self", null, token);
            JsonNode data = r.data();
            Duration ttl = Duration.ofSeconds(data.path("ttl").asLong(0));
            Duration creation = Duration.ofSeconds(data.path("creation_ttl").asLong(ttl.getSeconds()));
            Lease l = new Lease(token, now, ttl, data.path("renewable").asBoolean(false),
                    creation.isZero() ? ttl : creation, false);
            tokenProblem = null;
            LOG.info("Using a static Vault token at {}: {}", address(),
                    ttl.isZero() ? "no expiry" : "expires at " + l.expiresAt() + (l.renewable() ? ", renewable" : ", not renewable"));
            return l;
        } catch (VaultPermissionDeniedException e) {
            LOG.info("Vault denies auth/token/lookup-self to the static token: its lifetime is unknown and it is not renewed");
            return new Lease(token, now, Duration.ZERO, false, Duration.ZERO, false);
        }
    }

    private Lease renew(Lease l) {
        Map<String, Object> body = Map.of("increment", l.increment().getSeconds());
        VaultResponse response = http.send("POST", "auth/token/renew-self", body, l.token());
        JsonNode auth = response.auth();
        Duration granted = Duration.ofSeconds(auth.path("lease_duration").asLong(0));
        // Vault grants less than asked when the max TTL is near: renewing again would only shrink it further.
        boolean capped = granted.compareTo(l.increment()) < 0;
        String token = auth.path("client_token").asText(l.token());
        Lease renewed = new Lease(token.isEmpty() ? l.token() : token, clock.instant(), granted,
                auth.path("renewable").asBoolean(l.renewable()), l.increment(), capped);
        lease = renewed;
        LOG.info("Renewed the Vault token: lease {}{}", granted, capped ? " (capped by its max TTL)" : "");
        return renewed;
    }

    private void staticTokenProblem(Lease l, String message) {
        staticTokenProblem(l, message, null);
    }

    /** Reports {@code message} in {@link #tokenProblem()} and warns of it once per lease. */
    private void staticTokenProblem(Lease l, String message, Exception cause) {
        tokenProblem = message;
        synchronized (this) {
            if (warnedAbout == l) {
                return;
            }
            warnedAbout = l;
        }
        if (cause == null) {
            LOG.warn("{}", message);
        } else {
            LOG.warn("{}", message, cause);
        }
    }
}
