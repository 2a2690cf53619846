package dev.rotakey.targets.redis;

import com.fasterxml.jackson.annotation.JsonCreator;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.VersionReferences;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Delivers passwords (and API keys) to a Redis ACL user, which may hold several passwords at once:
 * deliver adds the new one ({@code ACL SETUSER u on >new}), verify logs in with it on a fresh
 * connection, and revoke or discard removes exactly one version's password, so the old and the
 * new both work during the grace period.
 *
 * <p>Why removal goes by reference: Redis keeps only the SHA-256 of each password (listed by
 * {@code ACL GETUSER}, removable with {@code !<sha256>}), and Rotakey keeps only an HMAC of it, so
 * neither {@code <old} nor {@link Revocation#matcher()} can be used once the plaintext is gone, and
 * "keep the newest hash" would remove the current password whenever a pending or second previous
 * version exists. So {@link #materialReference} gives, while the plaintext is still in memory, the
 * first {@value #REFERENCE_HEX_CHARS} hex characters of its SHA-256; Rotakey persists that before
 * the password reaches Redis (also for material re-issued after a restart), and revoke removes the
 * one listed hash with that prefix. The prefix cannot confirm a guessed password offline (32 bits
 * leave about 2^21 candidates even for the weakest allowed policy), and two hashes of one user
 * sharing it (odds about 1 in 2^31) make revocation fail loudly instead of removing the wrong one.
 * Versions never share a hash unless two random passwords collide, so a version's removal cannot
 * touch another's.
 *
 * <p>After every change the ACLs are saved to the server's ACL file ({@code ACL SAVE}) as
 * {@link SaveAclFile} says; a crash between a change and the save is repaired by the retry, which
 * saves even when it finds nothing left to change.
 *
 * <p>Redis does not replicate ACL users, so every operation goes to each server of the {@link RedisTopology} (the
 * configured nodes, and the master and replicas Sentinel reports): a server that cannot be reached fails deliver and
 * verify as retryable, since a version promoted without it would be refused there after a failover; removals go on
 * with the other servers and then fail as retryable, to be retried until every server is done (I4).
 */
public final class RedisAclTarget implements Target {
    static final String TYPE = "redis-acl";
    static final int REFERENCE_HEX_CHARS = 8;

    /** When to run {@code ACL SAVE} after a change. */
    public enum SaveAclFile {
        /** When the server has an ACL file ({@code CONFIG GET aclfile} is not empty). */
        AUTO,
        ALWAYS,
        NEVER;

        /** {@code auto}, {@code always} or {@code never}, as the config writes them. */
        @JsonCreator
        public static SaveAclFile fromWire(String text) {
            for (SaveAclFile s : values()) {
                if (s.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
                    return s;
                }
            }
            throw new IllegalArgumentException("'" + text + "' is not one of auto, always, never");
        }
    }

    private final String name;
    private final RedisTopology topology;

    /** @param topology the servers to change, owned by this target from now on */
    RedisAclTarget(String name, RedisTopology topology) {
        this.name = name;
        this.topology = topology;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public void validateBinding(TargetBinding binding) {
        binding.refuseUnknownParams(TYPE, AclUserBinding.PARAMETERS);
        AclUserBinding.user(binding);
        AclUserBinding.rules(binding);
        AclUserBinding.refused(binding);
    }

    /** The ACL user whose passwords the binding changes. */
    @Override
    public List<String> claims(TargetBinding binding) {
        return List.of("user:" + AclUserBinding.user(binding));
    }

    /** The binding's ACL user: every version logs in as that one user (Redis holds its passwords side by side). */
    @Override
    public String login(TargetBinding binding, String credentialId, VersionReferences version) {
        try {
            return AclUserBinding.user(binding);
        } catch (InvalidBindingException e) {
            return null;
        }
    }

    /**
     * The first configured server, or with Sentinel the master as this target last saw it (asked for if it never was;
     * null while Sentinel cannot be reached): the address consumers start from, not a promise that it is still the
     * master when they connect.
     */
    @Override
    public Endpoint endpoint(TargetBinding binding) {
        RedisAddress primary = topology.primary();
        return primary == null ? null : new Endpoint("redis", primary.host(), primary.port(), null, topology.tls());
    }

    @Override
    public Set<Character> refusedCharacters(TargetBinding binding) {
        return AclUserBinding.refused(binding);
    }

    @Override
    public String materialReference(Delivery delivery) {
        if (delivery.isCertificate()) {
            return null;
        }
        byte[] utf8 = delivery.material().utf8();
        try {
            return HexFormat.of().formatHex(sha256(utf8)).substring(0, REFERENCE_HEX_CHARS);
        } finally {
            Arrays.fill(utf8, (byte) 0);
        }
    }

    @Override
    public void deliver(Delivery delivery) {
        refuseCertificate(delivery);
        String user = binding(delivery.binding());
        List<String> rules = ruleList(delivery.binding());
        String action = "deliver version " + delivery.version() + " of " + delivery.credentialId() + " to user '" + user + "'";
        onEveryServer(action, server -> deliver(server, delivery, user, rules, action));
    }

    private static void deliver(RedisServer server, Delivery delivery, String user, List<String> rules, String action) {
        byte[] setPassword = prefixed('>', delivery);
        try (RespConnection c = server.admin(action)) {
            server.run(action, true, () -> {
                if (c.call("ACL", "GETUSER", user) == null) {
                    // Created on its own first, so that Redis's complaint about a bad rule can be shown in full:
                    // it never sees the password. Without a password and without nopass, nobody can log in yet.
                    List<String> create = new ArrayList<>(List.of("ACL", "SETUSER", user, "on"));
                    create.addAll(rules);
                    c.call(create.toArray(String[]::new));
                }
                return null;
            });
            // Replicas take ACL SETUSER as well: it is not a write command, so replica-read-only does not refuse it.
            server.run(action, false, () -> c.call(RedisServer.bytes("ACL"), RedisServer.bytes("SETUSER"), RedisServer.bytes(user), RedisServer.bytes("on"), setPassword));
            server.saveAcls(c, action);
        } finally {
            Arrays.fill(setPassword, (byte) 0);
        }
    }

    /** Logs in with the version on every server: the one a failover promotes must take it as well. */
    @Override
    public void verify(Delivery delivery) {
        refuseCertificate(delivery);
        String user = binding(delivery.binding());
        String action = "log in as user '" + user + "' with version " + delivery.version() + " of " + delivery.credentialId();
        onEveryServer(action, server -> verify(server, delivery, user, action));
    }

    private void verify(RedisServer server, Delivery delivery, String user, String action) {
        byte[] secret = delivery.material().utf8();
        try (RespConnection c = server.connect(action)) {
            server.run(action, false, () -> c.call(RedisServer.bytes("AUTH"), RedisServer.bytes(user), secret));
            // The PING proves the session is usable; a user whose rules leave out +ping gets NOPERM,
            // which only an authenticated session can get, so that proves the login as well.
            Object pong = server.run(action, true, () -> {
                try {
                    return c.call("PING");
                } catch (RespConnection.ErrorReply e) {
                    if (e.code().equals("NOPERM")) {
                        return "PONG";
                    }
                    throw e;
                }
            });
            if (!"PONG".equals(RespConnection.text(pong))) {
                throw new TargetException("target '" + name + "': " + action + " on " + server + ": PING did not answer PONG",
                        true);
            }
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    @Override
    public void revoke(Revocation revocation) {
        remove(revocation, "revoke");
    }

    @Override
    public void discard(Revocation revocation) {
        remove(revocation, "discard");
    }

    /**
     * Removes the password of {@code revocation}'s version, identified by its recorded references, and nothing else,
     * on every server.
     */
    private void remove(Revocation revocation, String verb) {
        String user = binding(revocation.binding());
        String action = verb + " version " + revocation.version() + " of " + revocation.credentialId() + " at user '" + user + "'";
        if (revocation.references().isEmpty()) {
            throw new TargetException("target '" + name + "': cannot " + action + ": no reference to its password was "
                    + "recorded, so it cannot be told apart from the user's other passwords", false);
        }
        onEveryServer(action, server -> remove(server, revocation, user, action));
    }

    private void remove(RedisServer server, Revocation revocation, String user, String action) {
        try (RespConnection c = server.admin(action)) {
            List<String> hashes = server.run(action, true, () -> passwordHashes(c, user));
            List<String> doomed = new ArrayList<>();
            for (String reference : revocation.references()) {
                List<String> matching = hashes.stream().filter(h -> h.startsWith(reference)).toList();
                if (matching.size() > 1) {
                    throw new TargetException("target '" + name + "': cannot " + action + " on " + server + ": "
                            + matching.size() + " of the user's passwords match its reference; none was removed", false);
                }
                matching.stream().filter(h -> !doomed.contains(h)).forEach(doomed::add);
            }
            if (!doomed.isEmpty()) {
                List<String> command = new ArrayList<>(List.of("ACL", "SETUSER", user));
                doomed.forEach(h -> command.add("!" + h));
                server.run(action, true, () -> c.call(command.toArray(String[]::new)));
            }
            // Saved even when nothing was left to remove: the earlier attempt may have died before saving.
            server.saveAcls(c, action);
        }
    }

    /**
     * Runs {@code step} on every server, each even after another failed (a removal then gets as far as it can; a
     * delivery's leftovers are idempotent and removed by the discard), then throws the failures together.
     */
    private void onEveryServer(String action, Consumer<RedisServer> step) {
        List<TargetException> failures = new ArrayList<>();
        for (RedisServer server : topology.servers(action)) {
            try {
                step.accept(server);
            } catch (TargetException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            throw RedisConnector.combined(name, failures);
        }
    }

    /** The SHA-256 hex of each password of {@code user}, in Redis's order; empty when the user does not exist. */
    private static List<String> passwordHashes(RespConnection c, String user) throws IOException, RespConnection.ErrorReply {
        Object reply = c.call("ACL", "GETUSER", user);
        if (!(reply instanceof List<?> fields)) {
            return List.of();
        }
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            if ("passwords".equals(RespConnection.text(fields.get(i))) && fields.get(i + 1) instanceof List<?> list) {
                return list.stream().map(RespConnection::text).map(s -> s.toLowerCase(Locale.ROOT)).toList();
            }
        }
        return List.of();
    }

    private String binding(TargetBinding binding) {
        try {
            return AclUserBinding.user(binding);
        } catch (InvalidBindingException e) {
            throw new TargetException("target '" + name + "': invalid binding: " + e.getMessage(), false, e);
        }
    }

    private List<String> ruleList(TargetBinding binding) {
        try {
            return AclUserBinding.rules(binding);
        } catch (InvalidBindingException e) {
            throw new TargetException("target '" + name + "': invalid binding: " + e.getMessage(), false, e);
        }
    }

    private void refuseCertificate(Delivery delivery) {
        if (delivery.isCertificate() || "certificate".equals(delivery.credentialType())) {
            throw new TargetException("target '" + name + "': a Redis ACL user takes passwords, not certificates ("
                    + delivery + ")", false);
        }
    }

    private static byte[] prefixed(char prefix, Delivery delivery) {
        byte[] utf8 = delivery.material().utf8();
        byte[] out = new byte[utf8.length + 1];
        out[0] = (byte) prefix;
        System.arraycopy(utf8, 0, out, 1, utf8.length);
        Arrays.fill(utf8, (byte) 0);
        return out;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public void close() {
        topology.close();
    }

    @Override
    public String toString() {
        return "RedisAclTarget{name=" + name + ", " + topology + "}";
    }
}
