package dev.rotakey.auth;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.Store;
import dev.rotakey.db.TokenDao;
import dev.rotakey.schedule.FixedDelayWork;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Operator bearer tokens: checks presented tokens against their stored SHA-256 digests, issues and revokes
 * them. The first admin token comes from {@link BootstrapToken}.
 */
public final class OperatorTokens {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorTokens.class);
    public static final String ADMIN = Role.ADMIN.wireName();
    /** May only call {@code POST /api/v1/api-keys/verify}: what consuming services get. */
    public static final String VERIFIER = Role.VERIFIER.wireName();
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final String PREFIX = "rkt_";

    private final Store store;
    private final AuditLog audit;
    private final Clock clock;
    private final NotifiedCache<String, Operator> cache;
    /** Made once: the look-up a cache miss runs. */
    private final Function<String, Optional<Operator>> lookUp;
    /** Each token's last use since they were last written ({@link #recordUses}). */
    private final Map<String, Instant> lastUses = new ConcurrentHashMap<>();
    /** Each token's need noted since they were last written, when broader than {@link #knownNeeds} says. */
    private final Map<String, NoticedNeed> needs = new ConcurrentHashMap<>();
    /** The need this node last wrote or read for each token: a call needing no more is not written again. */
    private final Map<String, Role> knownNeeds = new ConcurrentHashMap<>();

    /** The role a token's calls needed, noted for a token of {@code role}. */
    private record NoticedNeed(Role role, Role needed) {
    }

    public OperatorTokens(Store store, AuditLog audit, Clock clock, NotifiedCache<String, Operator> cache) {
        this.store = store;
        this.audit = audit;
        this.clock = clock;
        this.cache = cache;
        this.lookUp = digest -> store.read(d -> d.tokens().findActive(digest, clock.instant()))
                .map(t -> new Operator(t.name(), t.role(), t.validUntil(), t.owner()));
    }

    /**
     * The operator of an active, unexpired token: from the cache (by digest) while it may be trusted, else from the
     * database. Its use is noted, and written with the others' by {@link #recordUses}.
     */
    public Optional<Operator> authenticate(String token) {
        if (token == null || token.isBlank() || token.length() > 512) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Optional<Operator> found = cache.find(digest(token), lookUp).filter(op -> !op.expiredAt(now));
        found.ifPresent(op -> lastUses.put(op.name(), now));
        return found;
    }

    /**
     * Notes the role a token's call to {@code method path} on {@code port} needed ({@link NeededRoles}), in memory: it is
     * written with the last uses, and only when broader than what is recorded. Nothing for a client certificate.
     */
    public void noteCall(Operator op, AccessPolicy.Port port, String method, String path) {
        if (op.via() != Operator.Via.TOKEN) {
            return;
        }
        Role role = Role.of(op.role()).orElse(null);
        AccessPolicy.Rule rule = role == null ? null : AccessPolicy.rule(port, method, path).orElse(null);
        if (rule == null) {
            return;
        }
        Role known = knownNeeds.get(op.name());
        Role needed = NeededRoles.join(known, NeededRoles.of(rule, role), role);
        if (needed != known) {
            needs.merge(op.name(), new NoticedNeed(role, needed),
                    (a, b) -> a.role() != b.role() ? b : new NoticedNeed(role, NeededRoles.join(a.needed(), b.needed(), role)));
        }
    }

    /**
     * Writes the last uses and needs noted since the previous call, in one transaction; run every minute and at stop. A
     * need is merged with the one recorded under the token's row lock, and dropped if the token's role changed meanwhile.
     */
    public void recordUses() {
        Map<String, Instant> uses = new HashMap<>();
        for (String name : lastUses.keySet()) {
            Instant at = lastUses.remove(name);
            if (at != null) {
                uses.put(name, at);
            }
        }
        Map<String, NoticedNeed> noticed = new HashMap<>();
        for (String name : needs.keySet()) {
            NoticedNeed need = needs.remove(name);
            if (need != null) {
                noticed.put(name, need);
            }
        }
        if (uses.isEmpty() && noticed.isEmpty()) {
            return;
        }
        Map<String, Role> written = new HashMap<>();
        store.txRun(tx -> {
            tx.tokens().markUsed(uses);
            noticed.forEach((name, need) -> tx.tokens().needForUpdate(name)
                    .filter(stored -> need.role().wireName().equals(stored.role()))
                    .ifPresent(stored -> {
                        Role before = Role.of(stored.neededRole()).orElse(null);
                        Role after = NeededRoles.join(before, need.needed(), need.role());
                        if (after != before) {
                            tx.tokens().setNeededRole(name, after.wireName());
                        }
                        written.put(name, after);
                    }));
        });
        knownNeeds.putAll(written);
    }

    /** Every token, revoked ones too, with its last use (counting uses not written yet); never a secret. */
    public List<TokenDao.TokenInfo> list() {
        return store.read(d -> d.tokens().list()).stream().map(t -> {
            Instant pending = lastUses.get(t.name());
            return pending == null || (t.lastUsedAt() != null && !pending.isAfter(t.lastUsedAt())) ? t
                    : new TokenDao.TokenInfo(t.name(), t.role(), t.owner(), t.createdAt(), t.expiresAt(), pending,
                    t.previousValidUntil(), t.revokedAt());
        }).toList();
    }

    /**
     * Issues a new token; the plaintext is returned once and only its digest is stored.
     *
     * @throws RejectedException for a bad name or role, or a name already in use
     */
    public String issue(String name, String role, String actor) {
        return issue(name, role, null, null, actor);
    }

    /**
     * Issues a new token valid until {@code expiresAt} (null: until revoked), bound to {@code owner} (required for the
     * {@code owner} role, refused for any other); the plaintext is returned once and only its digest is stored.
     *
     * @throws RejectedException for a bad name, role, expiry or owner, or a name already in use
     */
    public String issue(String name, String role, Instant expiresAt, String owner, String actor) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw RejectedException.invalid("name", "must be 1-64 lower-case letters, digits, '.', '_' or '-'");
        }
        if (role == null || !Role.of(role).map(Role::issuable).orElse(false)) {
            // An agent is its certificate's SPIFFE ID: a token of its role would be an identity nobody can check.
            throw RejectedException.invalid("role", "must be one of " + Role.issuableWireNames());
        }
        if (expiresAt != null && !expiresAt.isAfter(clock.instant())) {
            throw RejectedException.invalid("expires", "must be in the future");
        }
        boolean scoped = Role.OWNER.wireName().equals(role);
        if (scoped && (owner == null || owner.isBlank() || owner.length() > 320)) {
            throw RejectedException.invalid("owner", "is required for role 'owner': the owner whose agents it may reach");
        }
        if (!scoped && owner != null) {
            throw RejectedException.invalid("owner", "is only for role 'owner'");
        }
        String token = newToken();
        String digest = digest(token);
        try {
            store.txRun(tx -> {
                if (tx.tokens().exists(name)) {
                    throw RejectedException.conflict("a token named '" + name + "' exists; revoke it first");
                }
                tx.tokens().upsert(name, digest, role, clock.instant(), expiresAt, owner);
                knownNeeds.remove(name);
                audit.record(tx, actor, AuditAction.TOKEN_CREATED, "token:" + name, "ok", "role=" + role
                        + (owner == null ? "" : " owner=" + owner) + (expiresAt == null ? "" : " expires=" + expiresAt));
            });
        } finally {
            // Whatever the outcome: a commit whose answer was lost still changed the tokens.
            cache.invalidateAll();
        }
        return token;
    }

    /**
     * Revokes the named token at once: refused by this node from the moment this returns, and by the other nodes of a
     * cluster as soon as they hear of it (docs/design.md, "Caches").
     */
    public void revoke(String name, String actor) {
        try {
            store.txRun(tx -> {
                if (!tx.tokens().revoke(name, clock.instant())) {
                    throw RejectedException.notFound("token", name);
                }
                audit.record(tx, actor, AuditAction.TOKEN_REVOKED, "token:" + name, "ok", null);
            });
        } finally {
            cache.invalidateAll();
        }
    }

    /** A rotated token's new secret (shown once) and until when the secret it replaced stays valid. */
    public record Rotated(String token, Instant previousValidUntil) {
        @Override
        public String toString() {
            return "Rotated[previousValidUntil=" + previousValidUntil + "]";
        }
    }

    /**
     * Gives the named token a new secret, returned once; the one it replaces stays valid for {@code grace}, so that
     * its holders can switch without downtime.
     *
     * @throws RejectedException when there is no such active token, or the grace period is negative
     */
    public Rotated rotate(String name, Duration grace, String actor) {
        if (grace.isNegative()) {
            throw RejectedException.invalid("grace", "must not be negative");
        }
        String token = newToken();
        Instant until = clock.instant().plus(grace);
        try {
            store.txRun(tx -> {
                if (!tx.tokens().rotate(name, digest(token), until)) {
                    throw RejectedException.notFound("token", name);
                }
                audit.record(tx, actor, AuditAction.TOKEN_ROTATED, "token:" + name, "ok", "previous valid until " + until);
            });
        } finally {
            cache.invalidateAll();
        }
        return new Rotated(token, until);
    }

    /**
     * Writes the tokens' last uses every minute, and once more at stop (at best: the database may be gone by then, and
     * a minute of last uses is all that is lost).
     */
    public Managed lastUseWriter() {
        FixedDelayWork everyMinute = new FixedDelayWork("token-uses", Duration.ofMinutes(1), this::recordUses);
        return new Managed() {
            @Override
            public void start() {
                everyMinute.start();
            }

            @Override
            public void stop() throws InterruptedException {
                everyMinute.stop();
                try {
                    recordUses();
                } catch (RuntimeException e) {
                    LOG.warn("the tokens' last uses were not written at stop: {}", e.toString());
                }
            }
        };
    }

    static String newToken() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    static String digest(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
