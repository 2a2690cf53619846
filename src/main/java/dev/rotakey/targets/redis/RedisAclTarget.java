package dev.rotakey.targets.redis;

import com.fasterxml.jackson.annotation.JsonCreator;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

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
 * saves even when it finds nothing left to change. TLS is not supported (yet): use it on loopback
 * or a trusted network.
 */
public final class RedisAclTarget implements Target {
    static final String TYPE = "redis-acl";
    static final String USER = "user";
    static final String RULES = "rules";
    static final String REFUSE = "refuse";
    static final int REFERENCE_HEX_CHARS = 8;
    private static final Set<String> PARAMETERS = Set.of(USER, RULES, REFUSE);
    /** Conservative: letters, digits and a little punctuation, never an ACL rule prefix or whitespace. */
    private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.:@+-]{0,127}");
    /** Rules that would change how the user authenticates: that is Rotakey's business alone. */
    private static final Set<String> PASSWORD_RULES = Set.of("nopass", "resetpass", "reset", "off");

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
    private final String host;
    private final int port;
    private final String username;
    private final char[] password;
    private final int connectTimeoutMillis;
    private final int commandTimeoutMillis;
    private final SaveAclFile save;

    /**
     * @param username the administrative ACL user, or null for {@code AUTH password} / no AUTH at all
     * @param password that user's password (owned by this target from now on), or null
     */
    public RedisAclTarget(String name, String host, int port, String username, char[] password,
                          int connectTimeoutMillis, int commandTimeoutMillis, SaveAclFile save) {
        this.name = name;
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.commandTimeoutMillis = commandTimeoutMillis;
        this.save = save;
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
        binding.refuseUnknownParams(TYPE, PARAMETERS);
        user(binding);
        rules(binding);
        refusedCharacters(binding);
    }

    /** The ACL user whose passwords the binding changes. */
    @Override
    public List<String> claims(TargetBinding binding) {
        return List.of("user:" + user(binding));
    }

    static String user(TargetBinding binding) {
        String user = binding.requireParam(USER);
        if (user.equals("default")) {
            // Unauthenticated connections are the default user: a password on it would lock them all out.
            throw new InvalidBindingException(USER, "must not be 'default' (the user of unauthenticated connections); "
                    + "give the agent a user of its own");
        }
        if (!USER_NAME.matcher(user).matches()) {
            throw new InvalidBindingException(USER, "'" + printable(user) + "' is not a Redis ACL user name Rotakey accepts: "
                    + "1 to 128 letters, digits and _ . : @ + -, not starting with punctuation other than _");
        }
        return user;
    }

    static List<String> rules(TargetBinding binding) {
        String rules = binding.param(RULES);
        if (rules == null || rules.isBlank()) {
            return List.of();
        }
        if (rules.length() > 1024) {
            throw new InvalidBindingException(RULES, "is longer than 1024 characters");
        }
        List<String> out = new ArrayList<>();
        for (String rule : rules.trim().split("\\s+")) {
            if (rule.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                throw new InvalidBindingException(RULES, "must be printable ASCII rules separated by spaces");
            }
            char first = rule.charAt(0);
            if (first == '>' || first == '<' || first == '#' || first == '!'
                    || PASSWORD_RULES.contains(rule.toLowerCase(Locale.ROOT))) {
                throw new InvalidBindingException(RULES, "must not set passwords or switch the user off ('"
                        + (first == '>' || first == '<' || first == '#' || first == '!' ? first + "…" : rule)
                        + "'): Rotakey manages the user's passwords");
            }
            out.add(rule);
        }
        return out;
    }

    @Override
    public Set<Character> refusedCharacters(TargetBinding binding) {
        String refuse = binding.param(REFUSE);
        if (refuse == null) {
            return Set.of();
        }
        Set<Character> out = new HashSet<>();
        for (char c : refuse.toCharArray()) {
            if (c < 0x21 || c > 0x7e) {
                throw new InvalidBindingException(REFUSE, "must list printable ASCII characters");
            }
            out.add(c);
        }
        return out;
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
        byte[] setPassword = prefixed('>', delivery);
        try (RespConnection c = admin("deliver version " + delivery.version() + " to user '" + user + "'")) {
            String action = "deliver version " + delivery.version() + " of " + delivery.credentialId() + " to user '" + user + "'";
            run(action, true, () -> {
                if (c.call("ACL", "GETUSER", user) == null) {
                    // Created on its own first, so that Redis's complaint about a bad rule can be shown in full:
                    // it never sees the password. Without a password and without nopass, nobody can log in yet.
                    List<String> create = new ArrayList<>(List.of("ACL", "SETUSER", user, "on"));
                    create.addAll(rules);
                    c.call(create.toArray(String[]::new));
                }
                return null;
            });
            run(action, false, () -> c.call(bytes("ACL"), bytes("SETUSER"), bytes(user), bytes("on"), setPassword));
            saveAcls(c, action);
        } finally {
            Arrays.fill(setPassword, (byte) 0);
        }
    }

    @Override
    public void verify(Delivery delivery) {
        refuseCertificate(delivery);
        String user = binding(delivery.binding());
        String action = "log in as user '" + user + "' with version " + delivery.version() + " of " + delivery.credentialId();
        byte[] secret = delivery.material().utf8();
        try (RespConnection c = connect(action)) {
            run(action, false, () -> c.call(bytes("AUTH"), bytes(user), secret));
            // The PING proves the session is usable; a user whose rules leave out +ping gets NOPERM,
            // which only an authenticated session can get, so that proves the login as well.
            Object pong = run(action, true, () -> {
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
                throw new TargetException("target '" + name + "': " + action + ": PING did not answer PONG", true);
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

    /** Removes the password of {@code revocation}'s version, identified by its recorded references, and nothing else. */
    private void remove(Revocation revocation, String verb) {
        String user = binding(revocation.binding());
        String action = verb + " version " + revocation.version() + " of " + revocation.credentialId() + " at user '" + user + "'";
        if (revocation.references().isEmpty()) {
            throw new TargetException("target '" + name + "': cannot " + action + ": no reference to its password was "
                    + "recorded, so it cannot be told apart from the user's other passwords", false);
        }
        try (RespConnection c = admin(action)) {
            List<String> hashes = run(action, true, () -> passwordHashes(c, user));
            List<String> doomed = new ArrayList<>();
            for (String reference : revocation.references()) {
                List<String> matching = hashes.stream().filter(h -> h.startsWith(reference)).toList();
                if (matching.size() > 1) {
                    throw new TargetException("target '" + name + "': cannot " + action + ": " + matching.size()
                            + " of the user's passwords match its reference; none was removed", false);
                }
                matching.stream().filter(h -> !doomed.contains(h)).forEach(doomed::add);
            }
            if (!doomed.isEmpty()) {
                List<String> command = new ArrayList<>(List.of("ACL", "SETUSER", user));
                doomed.forEach(h -> command.add("!" + h));
                run(action, true, () -> c.call(command.toArray(String[]::new)));
            }
            // Saved even when nothing was left to remove: the earlier attempt may have died before saving.
            saveAcls(c, action);
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

    private void saveAcls(RespConnection c, String action) {
        if (save == SaveAclFile.NEVER) {
            return;
        }
        run(action + " (saving the ACL file)", true, () -> {
            if (save == SaveAclFile.AUTO) {
                Object reply = c.call("CONFIG", "GET", "aclfile");
                String file = reply instanceof List<?> l && l.size() >= 2 ? RespConnection.text(l.get(1)) : null;
                if (file == null || file.isBlank()) {
                    return null;
                }
            }
            return c.call("ACL", "SAVE");
        });
    }

    /** A connection logged in as the administrative user (if one is configured). */
    private RespConnection admin(String action) {
        RespConnection c = connect(action);
        if (password == null) {
            return c;
        }
        byte[] secret = utf8(password);
        try {
            if (username == null) {
                c.call(bytes("AUTH"), secret);
            } else {
                c.call(bytes("AUTH"), bytes(username), secret);
            }
            return c;
        } catch (IOException e) {
            c.close();
            throw unreachable(action, e);
        } catch (RespConnection.ErrorReply e) {
            c.close();
            throw new TargetException("target '" + name + "': cannot " + action + ": Redis refused the admin login"
                    + (username == null ? "" : " of user '" + username + "'") + " (" + e.code() + ")", false);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private RespConnection connect(String action) {
        try {
            return RespConnection.open(host, port, connectTimeoutMillis, commandTimeoutMillis);
        } catch (IOException e) {
            throw unreachable(action, e);
        }
    }

    private TargetException unreachable(String action, IOException e) {
        return new TargetException("target '" + name + "': cannot " + action + ": Redis at " + host + ":" + port
                + " is unreachable (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                + ")", true, e);
    }

    /** One exchange with Redis, I/O failures retryable, error replies mapped by their code. */
    @FunctionalInterface
    private interface Exchange<T> {
        T run() throws IOException, RespConnection.ErrorReply;
    }

    /**
     * @param echoSafe whether the server's error text may be shown: never for commands that carry a
     *                 password, since Redis quotes the offending argument in some messages
     */
    private <T> T run(String action, boolean echoSafe, Exchange<T> exchange) {
        try {
            return exchange.run();
        } catch (IOException e) {
            throw unreachable(action, e);
        } catch (RespConnection.ErrorReply e) {
            String code = e.code();
            boolean retryable = code.equals("LOADING") || code.equals("BUSY") || code.equals("TRYAGAIN")
                    || code.equals("MASTERDOWN");
            String detail = echoSafe ? e.getMessage() : code;
            String hint = switch (code) {
                case "WRONGPASS" -> ": the password was refused";
                case "NOPERM", "NOAUTH" -> ": the admin connection lacks the permission (it needs +acl, +config|get and, "
                        + "with saveAclFile, +acl|save)";
                default -> "";
            };
            throw new TargetException("target '" + name + "': cannot " + action + " (" + detail + ")" + hint, retryable);
        }
    }

    private String binding(TargetBinding binding) {
        try {
            return user(binding);
        } catch (InvalidBindingException e) {
            throw new TargetException("target '" + name + "': invalid binding: " + e.getMessage(), false, e);
        }
    }

    private List<String> ruleList(TargetBinding binding) {
        try {
            return rules(binding);
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

    private static byte[] utf8(char[] chars) {
        ByteBuffer buffer = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String printable(String s) {
        return s.codePoints().map(c -> c < 0x20 || c == 0x7f ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    @Override
    public void close() {
        if (password != null) {
            Arrays.fill(password, '\0');
        }
    }

    @Override
    public String toString() {
        return "RedisAclTarget{name=" + name + ", address=" + host + ":" + port
                + (username == null ? "" : ", username=" + username) + ", password=" + (password == null ? "none" : "[redacted]")
                + ", saveAclFile=" + save.name().toLowerCase(Locale.ROOT) + "}";
    }
}
