package dev.rotakey.targets.postgres;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Endpoint;
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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
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
    private static final Pattern VERIFIER = Pattern.compile("SCRAM-SHA-256\\$[0-9]+:[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+");
    private static final Logger LOG = LoggerFactory.getLogger(PostgresRoleTarget.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final PostgresServer server;
    private final Endpoint endpoint;

    /**
     * @param adminPassword the administrative role's password (owned by this target from now on), or null
     *                      when the server lets it in without one
     */
    public PostgresRoleTarget(String name, String url, String adminUser, char[] adminPassword,
                              int connectTimeoutSeconds, int socketTimeoutSeconds) {
        this.name = name;
        this.server = new PostgresServer(name, url, adminUser, adminPassword, connectTimeoutSeconds, socketTimeoutSeconds);
        this.endpoint = server.endpoint();
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
        binding.refuseUnknownParams(TYPE, RoleBinding.PARAMETERS);
        RoleBinding b = RoleBinding.parse(binding);
        for (String login : b.loginRoles()) {
            if (login.equals(server.adminUser())) {
                // Rotating the admin's own password would lock Rotakey out of the server.
                throw new InvalidBindingException(RoleBinding.ROLE, "must not name the target's administrative role '"
                        + server.adminUser() + "'");
            }
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

    @Override
    public Endpoint endpoint(TargetBinding binding) {
        return endpoint;
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
        try (Connection c = server.admin(action)) {
            server.sql(action, () -> {
                if (b.strategy() == RoleBinding.Strategy.SINGLE) {
                    RoleCatalog.ensureRole(c, login, "LOGIN", null);
                } else {
                    RoleCatalog.ensureRole(c, b.group(), "NOLOGIN", null);
                    // Both login roles, so that the operator can see (and the idle one cannot use) the pair from the start.
                    for (String role : b.loginRoles()) {
                        RoleCatalog.ensureRole(c, role, "NOLOGIN", b.group());
                    }
                }
                return null;
            }, true);
            // The statement carries the verifier: its text (and the server's complaint about it) is never shown.
            server.sql(action, () -> {
                RoleCatalog.setVerifier(c, login, "LOGIN", verifier);
                return null;
            }, false);
        } catch (SQLException e) {
            throw server.failure(action, e, true);
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
        try (Connection c = server.login(login, delivery.material().chars());
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT 1")) {
            if (!r.next()) {
                throw new TargetException("target '" + name + "': " + action + ": SELECT 1 returned nothing", true);
            }
        } catch (SQLException e) {
            // The driver's login errors name the user and the server, never the password.
            throw server.failure(action, e, true);
        }
        String check = "check the stored password of role '" + login + "' against version " + delivery.version();
        try (Connection c = server.admin(check)) {
            String stored;
            try {
                stored = RoleCatalog.storedVerifier(c, login);
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
            throw server.failure(check, e, true);
        }
    }

    @Override
    public void revoke(Revocation revocation) {
        lock(revocation, "revoke");
    }

    @Override
    public void discard(Revocation revocation) {
        RoleBinding b = binding(revocation.binding());
        if (b.strategy() == RoleBinding.Strategy.SINGLE) {
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
        server.withAdmin(action, c -> {
            RoleCatalog.setVerifier(c, login, "NOLOGIN", verifier);
            return null;
        }, false);
    }

    /** Whether {@code login} holds the verifier this version's delivery set. */
    private boolean holdsVersion(Revocation revocation, String login, String verb) {
        String action = verb + " version " + revocation.version() + " of " + revocation.credentialId() + " at role '" + login + "'";
        if (revocation.references().isEmpty()) {
            throw new TargetException("target '" + name + "': cannot " + action + ": no reference to its password was "
                    + "recorded, so it cannot be told apart from a newer one", false);
        }
        ScramVerifier v = server.withAdmin(action, c -> ScramVerifier.parse(RoleCatalog.storedVerifier(c, login)), true);
        return v != null && revocation.references().contains(v.saltText());
    }

    private static char[] randomPassword() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        char[] out = Base64.getEncoder().encodeToString(bytes).toCharArray();
        Arrays.fill(bytes, (byte) 0);
        return out;
    }

    private RoleBinding binding(TargetBinding binding) {
        try {
            return RoleBinding.parse(binding);
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
        server.close();
    }

    @Override
    public String toString() {
        return "PostgresRoleTarget{name=" + name + ", " + server + "}";
    }
}
