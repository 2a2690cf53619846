package dev.rotakey.targets.postgres;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.VersionReferences;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Delivers passwords to PostgreSQL login roles, either by changing one role's password ({@code single})
 * or by alternating between two login roles that share a group role's privileges ({@code alternating}),
 * so that the old and the new credential both work during the grace period. Which role of the pair a version goes to
 * is decided by {@link AlternatingRoles}: the one that does not hold the CURRENT version.
 *
 * <p>Rotakey computes the SCRAM-SHA-256 verifier itself and sends only that ({@code ALTER ROLE … PASSWORD
 * 'SCRAM-SHA-256$…'}, which PostgreSQL stores as given): the plaintext never reaches the server or its
 * statement log, and the literal consists of base64 characters only. The verifier's salt is derived from
 * the credential, version and role (public data, so {@link #materialReference} — the salt — lets nobody
 * test a guess of the password), which makes a version's verifier recognisable in {@code pg_authid} later:
 * revoke and discard change a role only while it still holds the verifier of the version being removed,
 * so revoking version N after N+2 has been delivered to the same alternating role leaves N+2 alone, and
 * a repeat after a crash finds nothing left to do.
 *
 * <p>With {@code single} the previous password stops working the moment a new one is delivered: revoke
 * has nothing left to remove (unless the role still holds exactly that version, as in an emergency
 * revocation of the current one), and discard cannot bring the previous password back, because PostgreSQL
 * has replaced it and Rotakey never kept it; discard then leaves the role as it is and says so in the log.
 */
public final class PostgresRoleTarget implements Target {
    static final String TYPE = "postgres-role";
    static final String ROLE = "role";
    static final String STRATEGY = "strategy";
    static final String GROUP = "group";
    static final int MAX_IDENTIFIER_BYTES = 63;
    private static final Set<String> PARAMETERS = Set.of(ROLE, STRATEGY, GROUP);
    /** Names PostgreSQL refuses for roles even when quoted. */
    private static final Set<String> RESERVED = Set.of("public", "none", "current_user", "session_user", "current_role");
    private static final Pattern VERIFIER = Pattern.compile("SCRAM-SHA-256\\$[0-9]+:[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+");
    private static final Logger LOG = LoggerFactory.getLogger(PostgresRoleTarget.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** How a binding's role receives new passwords. */
    enum Strategy {
        SINGLE, ALTERNATING
    }

    /** A binding's parameters, checked. */
    record RoleBinding(Strategy strategy, String role, String group) {
        /** Every login role the binding uses: the role itself, or both of the alternating pair. */
        List<String> loginRoles() {
            return strategy == Strategy.SINGLE ? List.of(role) : AlternatingRoles.pair(this);
        }
    }

    private final String name;
    private final String url;
    private final String adminUser;
    private final char[] adminPassword;
    private final int connectTimeoutSeconds;
    private final int socketTimeoutSeconds;

    /**
     * @param adminPassword the administrative role's password (owned by this target from now on), or null
     *                      when the server lets it in without one
     */
    public PostgresRoleTarget(String name, String url, String adminUser, char[] adminPassword,
                              int connectTimeoutSeconds, int socketTimeoutSeconds) {
        this.name = name;
        this.url = url;
        this.adminUser = adminUser;
        this.adminPassword = adminPassword;
        this.connectTimeoutSeconds = Math.max(1, connectTimeoutSeconds);
        this.socketTimeoutSeconds = Math.max(1, socketTimeoutSeconds);
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
        RoleBinding b = parse(binding);
        for (String login : b.loginRoles()) {
            if (login.equals(adminUser)) {
                // Rotating the admin's own password would lock Rotakey out of the server.
                throw new InvalidBindingException(ROLE, "must not name the target's administrative role '" + adminUser + "'");
            }
        }
    }

    static RoleBinding parse(TargetBinding binding) {
        String strategyText = binding.param(STRATEGY);
        Strategy strategy;
        if (strategyText == null || strategyText.isBlank() || strategyText.trim().equalsIgnoreCase("single")) {
            strategy = Strategy.SINGLE;
        } else if (strategyText.trim().equalsIgnoreCase("alternating")) {
            strategy = Strategy.ALTERNATING;
        } else {
            throw new InvalidBindingException(STRATEGY, "must be 'single' or 'alternating'");
        }
        String role = binding.requireParam(ROLE);
        // Room for the _a/_b suffix when alternating.
        identifier(ROLE, role, strategy == Strategy.ALTERNATING ? 2 : 0);
        String group = binding.param(GROUP);
        if (group != null) {
            if (strategy == Strategy.SINGLE) {
                throw new InvalidBindingException(GROUP, "is only for strategy 'alternating'");
            }
            identifier(GROUP, group, 0);
        }
        return new RoleBinding(strategy, role, strategy == Strategy.SINGLE ? null : (group == null ? role : group));
    }

    /** A role name PostgreSQL accepts (quoted): 1 to 63 bytes, no control characters, not reserved. */
    private static void identifier(String parameter, String value, int suffixBytes) {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (value.isEmpty() || bytes + suffixBytes > MAX_IDENTIFIER_BYTES) {
            throw new InvalidBindingException(parameter, "must be 1 to " + (MAX_IDENTIFIER_BYTES - suffixBytes)
                    + " bytes long" + (suffixBytes > 0 ? " (the login roles add '_a' and '_b', and PostgreSQL allows "
                    + MAX_IDENTIFIER_BYTES + ")" : " (PostgreSQL's limit for identifiers)"));
        }
        if (value.codePoints().anyMatch(c -> c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))) {
            throw new InvalidBindingException(parameter, "must not contain control characters");
        }
        if (value.startsWith("pg_") || RESERVED.contains(value.toLowerCase(Locale.ROOT))) {
            throw new InvalidBindingException(parameter, "'" + value + "' is a role name PostgreSQL reserves");
        }
    }

    /**
     * The password itself never enters SQL, but consumers paste it into libpq connection strings and
     * {@code .pgpass} files, where a quote or a backslash needs escaping that is easy to get wrong.
     */
    @Override
    public Set<Character> refusedCharacters(TargetBinding binding) {
        return Set.of('\'', '\\');
    }

    /**
     * The base64 salt of the verifier this delivery sets: public, and how revoke recognises the version. The salt is
     * derived from the login role as well, so it also records which role of an alternating pair the version went to.
     */
    @Override
    public String materialReference(Delivery delivery) {
        if (delivery.isCertificate()) {
            return null;
        }
        String login = loginRole(delivery);
        return Base64.getEncoder().encodeToString(salt(delivery.credentialId(), delivery.version(), login));
    }

    /** The role of a pair (or the single role) that a version logs in as, as its recorded references say. */
    @Override
    public String login(TargetBinding binding, String credentialId, VersionReferences version) {
        return AlternatingRoles.roleOf(binding(binding), credentialId, version);
    }

    /** The role name(s) a binding changes: no other credential may rotate them too. */
    @Override
    public List<String> claims(TargetBinding binding) {
        return binding(binding).loginRoles().stream().map(role -> "role:" + role).toList();
    }

    /** The role a delivery goes to: where its version was first placed, else the one not holding CURRENT. */
    private String loginRole(Delivery delivery) {
        return AlternatingRoles.forVersion(binding(delivery.binding()), delivery.credentialId(), delivery.version(),
                delivery.references(), delivery.current());
    }

    /** Deterministic, so that a repeated deliver sets the same verifier and revoke can recognise it. */
    static byte[] salt(String credentialId, int version, String loginRole) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(("rotakey postgres-role salt\0" + credentialId + "\0"
                    + version + "\0" + loginRole).getBytes(StandardCharsets.UTF_8));
            return Arrays.copyOf(digest, ScramVerifier.SALT_BYTES);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public void deliver(Delivery delivery) {
        refuseCertificate(delivery);
        RoleBinding b = binding(delivery.binding());
        String login = loginRole(delivery);
        String action = "deliver version " + delivery.version() + " of " + delivery.credentialId() + " to role '" + login + "'";
        String verifier = verifier(delivery, login, action);
        try (Connection c = admin(action)) {
            sql(action, () -> {
                if (b.strategy() == Strategy.SINGLE) {
                    ensureRole(c, login, "LOGIN", null);
                } else {
                    ensureRole(c, b.group(), "NOLOGIN", null);
                    // Both login roles, so that the operator can see (and the idle one cannot use) the pair from the start.
                    for (String role : b.loginRoles()) {
                        ensureRole(c, role, "NOLOGIN", b.group());
                    }
                }
                return null;
            }, true);
            // The statement carries the verifier: its text (and the server's complaint about it) is never shown.
            sql(action, () -> {
                try (Statement s = c.createStatement()) {
                    s.execute("ALTER ROLE " + quoteIdentifier(login) + " WITH LOGIN PASSWORD " + quoteLiteral(verifier));
                }
                return null;
            }, false);
        } catch (SQLException e) {
            throw failure(action, e, true);
        }
    }

    /** Creates {@code role} if missing and, for a login role, makes it a member of {@code group}. */
    private static void ensureRole(Connection c, String role, String attributes, String group) throws SQLException {
        if (!roleExists(c, role)) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE ROLE " + quoteIdentifier(role) + " WITH " + attributes);
            } catch (SQLException e) {
                // Created meanwhile by someone else: just as good.
                if (!"42710".equals(e.getSQLState())) {
                    throw e;
                }
            }
        }
        if (group != null && !isMember(c, role, group)) {
            try (Statement s = c.createStatement()) {
                s.execute("GRANT " + quoteIdentifier(group) + " TO " + quoteIdentifier(role));
            }
        }
    }

    private static boolean roleExists(Connection c, String role) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            s.setString(1, role);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    private static boolean isMember(Connection c, String role, String group) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                + "JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = ? AND u.rolname = ?")) {
            s.setString(1, group);
            s.setString(2, role);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    private String verifier(Delivery delivery, String login, String action) {
        char[] password = delivery.material().chars();
        try {
            for (char ch : password) {
                if (ch > 0x7e) {
                    // PostgreSQL applies SASLprep to non-ASCII passwords; Rotakey would compute a different verifier.
                    throw new TargetException("target '" + name + "': cannot " + action
                            + ": passwords for PostgreSQL roles must be ASCII (choose an ASCII alphabet)", false);
                }
            }
            String text = ScramVerifier.of(password, salt(delivery.credentialId(), delivery.version(), login),
                    ScramVerifier.ITERATIONS).text();
            if (!VERIFIER.matcher(text).matches()) {
                throw new IllegalStateException("a SCRAM verifier outside its own format");
            }
            return text;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /**
     * Logs in as the version's role with its password on a fresh connection ({@code SELECT 1}), then — where the
     * admin may read {@code pg_authid} — checks the stored verifier against the password: a server whose
     * {@code pg_hba.conf} trusts the connection lets any password in, so only the second check proves it there.
     */
    @Override
    public void verify(Delivery delivery) {
        refuseCertificate(delivery);
        String login = loginRole(delivery);
        String action = "log in as role '" + login + "' with version " + delivery.version() + " of " + delivery.credentialId();
        Properties props = properties(login, delivery.material().chars());
        try (Connection c = DriverManager.getConnection(url, props);
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT 1")) {
            if (!r.next()) {
                throw new TargetException("target '" + name + "': " + action + ": SELECT 1 returned nothing", true);
            }
        } catch (SQLException e) {
            // The driver's login errors name the user and the server, never the password.
            throw failure(action, e, true);
        } finally {
            props.clear();
        }
        String check = "check the stored password of role '" + login + "' against version " + delivery.version();
        try (Connection c = admin(check)) {
            String stored;
            try {
                stored = storedVerifier(c, login);
            } catch (SQLException e) {
                if ("42501".equals(e.getSQLState())) {
                    LOG.debug("target '{}': the admin role cannot read pg_authid; the login alone proves the password", name);
                    return;
                }
                throw e;
            }
            ScramVerifier v = ScramVerifier.parse(stored);
            char[] password = delivery.material().chars();
            try {
                if (v == null || !v.accepts(password)) {
                    throw new TargetException("target '" + name + "': cannot " + check + ": the role holds another password", false);
                }
            } finally {
                Arrays.fill(password, '\0');
            }
        } catch (SQLException e) {
            throw failure(check, e, true);
        }
    }

    /** {@code pg_authid.rolpassword} of {@code role}, null when it has none or does not exist; superusers only. */
    private static String storedVerifier(Connection c, String role) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT rolpassword FROM pg_authid WHERE rolname = ?")) {
            s.setString(1, role);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    @Override
    public void revoke(Revocation revocation) {
        lock(revocation, "revoke");
    }

    @Override
    public void discard(Revocation revocation) {
        RoleBinding b = binding(revocation.binding());
        if (b.strategy() == Strategy.SINGLE) {
            // Locking the role would lock out everyone, and the previous password cannot be put back.
            if (holdsVersion(revocation, b.role(), "discard")) {
                LOG.warn("target '{}': role '{}' keeps the password of discarded version {} of {}: with strategy single "
                        + "PostgreSQL replaced the previous password at delivery and it cannot be restored; the next "
                        + "delivery to the role replaces this one",
                        name, b.role(), revocation.version(), revocation.credentialId());
            }
            return;
        }
        lock(revocation, "discard");
    }

    /**
     * Sets {@code NOLOGIN} and a random password on the version's role, but only while the role still holds that
     * version's verifier (its salt is among the recorded references): anything newer, and the other role of a pair
     * (which may hold the CURRENT version), stays untouched. The role is the one the references name, never one
     * derived from the version number. Between the check and the change nothing else writes the role, because the
     * workflow runs one operation per credential at a time and a role belongs to one credential (see {@link #claims}).
     */
    private void lock(Revocation revocation, String verb) {
        RoleBinding b = binding(revocation.binding());
        for (String login : AlternatingRoles.rolesOf(b, revocation.credentialId(), revocation.version(),
                revocation.references())) {
            if (holdsVersion(revocation, login, verb)) {
                lock(revocation, verb, login);
            }
        }
    }

    private void lock(Revocation revocation, String verb, String login) {
        String action = verb + " version " + revocation.version() + " of " + revocation.credentialId() + " at role '" + login + "'";
        char[] random = randomPassword();
        String verifier;
        try {
            byte[] salt = new byte[ScramVerifier.SALT_BYTES];
            RANDOM.nextBytes(salt);
            verifier = ScramVerifier.of(random, salt, ScramVerifier.ITERATIONS).text();
        } finally {
            Arrays.fill(random, '\0');
        }
        try (Connection c = admin(action)) {
            sql(action, () -> {
                try (Statement s = c.createStatement()) {
                    s.execute("ALTER ROLE " + quoteIdentifier(login) + " WITH NOLOGIN PASSWORD " + quoteLiteral(verifier));
                }
                return null;
            }, false);
        } catch (SQLException e) {
            throw failure(action, e, true);
        }
    }

    /** Whether {@code login} holds the verifier this version's delivery set. */
    private boolean holdsVersion(Revocation revocation, String login, String verb) {
        String action = verb + " version " + revocation.version() + " of " + revocation.credentialId() + " at role '" + login + "'";
        if (revocation.references().isEmpty()) {
            throw new TargetException("target '" + name + "': cannot " + action + ": no reference to its password was "
                    + "recorded, so it cannot be told apart from a newer one", false);
        }
        try (Connection c = admin(action)) {
            ScramVerifier v = sql(action, () -> ScramVerifier.parse(storedVerifier(c, login)), true);
            return v != null && revocation.references().contains(v.saltText());
        } catch (SQLException e) {
            throw failure(action, e, true);
        }
    }

    private static char[] randomPassword() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        char[] out = Base64.getEncoder().encodeToString(bytes).toCharArray();
        Arrays.fill(bytes, (byte) 0);
        return out;
    }

    /** Double quotes doubled, the whole wrapped in double quotes: any role name becomes one identifier. */
    static String quoteIdentifier(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier with NUL");
        }
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /**
     * A standard string literal (single quotes doubled). Only verifiers reach here, and they hold no quote or
     * backslash; {@code E''} is not used, and a backslash is refused outright so that the literal means the same
     * whatever {@code standard_conforming_strings} says.
     */
    static String quoteLiteral(String value) {
        if (value.indexOf('\\') >= 0 || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("literal with a backslash or NUL");
        }
        return "'" + value.replace("'", "''") + "'";
    }

    private Connection admin(String action) {
        Properties props = properties(adminUser, adminPassword == null ? null : adminPassword.clone());
        try {
            Connection c = DriverManager.getConnection(url, props);
            c.setAutoCommit(true);
            return c;
        } catch (SQLException e) {
            throw failure(action + " (as admin role '" + adminUser + "')", e, true);
        } finally {
            props.clear();
        }
    }

    private Properties properties(String user, char[] password) {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null) {
            // The driver takes a String; unavoidable, and dropped with the Properties.
            props.setProperty("password", new String(password));
            Arrays.fill(password, '\0');
        }
        props.setProperty("connectTimeout", String.valueOf(connectTimeoutSeconds));
        props.setProperty("loginTimeout", String.valueOf(connectTimeoutSeconds));
        props.setProperty("socketTimeout", String.valueOf(socketTimeoutSeconds));
        props.setProperty("ApplicationName", "rotakey");
        return props;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    private <T> T sql(String action, Work<T> work, boolean echoSafe) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw failure(action, e, echoSafe);
        }
    }

    /**
     * Connection failures (SQLSTATE class 08), a server starting or shutting down (57P0x), resource shortages (53)
     * and serialization failures (40) may pass; refused logins (28), missing privileges (42501) and the rest do not.
     *
     * @param echoSafe whether the server's message may be shown: never for statements that carry a verifier
     */
    private TargetException failure(String action, SQLException e, boolean echoSafe) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        boolean retryable = state.startsWith("08") || state.startsWith("57P") || state.startsWith("53") || state.startsWith("40");
        String hint = switch (state) {
            case "42501" -> ": the admin role lacks the permission (it needs CREATEROLE, or superuser to check stored passwords)";
            case "28P01", "28000" -> ": the login was refused";
            default -> "";
        };
        String detail = echoSafe && e.getMessage() != null ? e.getMessage() : "SQLSTATE " + state;
        // The driver's exception is kept as the cause only where its message is safe to show.
        return echoSafe
                ? new TargetException("target '" + name + "': cannot " + action + " (" + detail + ")" + hint, retryable, e)
                : new TargetException("target '" + name + "': cannot " + action + " (" + detail + ")" + hint, retryable);
    }

    private RoleBinding binding(TargetBinding binding) {
        try {
            return parse(binding);
        } catch (InvalidBindingException e) {
            throw new TargetException("target '" + name + "': invalid binding: " + e.getMessage(), false, e);
        }
    }

    private void refuseCertificate(Delivery delivery) {
        if (delivery.isCertificate() || "certificate".equals(delivery.credentialType())) {
            throw new TargetException("target '" + name + "': a PostgreSQL role takes passwords, not certificates ("
                    + delivery + ")", false);
        }
    }

    @Override
    public void close() {
        if (adminPassword != null) {
            Arrays.fill(adminPassword, '\0');
        }
    }

    @Override
    public String toString() {
        // Query parameters are left out: a careless config might carry a password there.
        return "PostgresRoleTarget{name=" + name + ", url=" + url.split("\\?", 2)[0] + ", user=" + adminUser + ", password="
                + (adminPassword == null ? "none" : "[redacted]") + "}";
    }
}
