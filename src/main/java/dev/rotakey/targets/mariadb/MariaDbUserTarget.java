package dev.rotakey.targets.mariadb;

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
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Delivers passwords to MariaDB accounts ({@code 'user'@'host'}), either by changing one account's password
 * ({@code single}) or by alternating between two login users that share a role's privileges ({@code alternating}), so
 * that the old and the new credential both work during the grace period. Which user of the pair a version goes to is
 * decided by {@link AlternatingAccounts}: the one that does not hold the CURRENT version.
 *
 * <p>Rotakey computes the {@code mysql_native_password} hash itself and sends only that ({@code ALTER USER … IDENTIFIED
 * BY PASSWORD '*…'}), so the plaintext never reaches the server's general, slow or binary log. The hash has no salt, so
 * a version is recognised in {@code mysql.global_priv} by a 32-bit digest of it, the {@link #materialReference}
 * ({@link AccountReference} says why that cannot confirm a guessed password): revoke and discard lock an account
 * ({@code ACCOUNT LOCK} and a hash of no known password, the counterpart of PostgreSQL's {@code NOLOGIN}) only while it
 * still holds the hash of the version being removed, so revoking version N after N+2 went to the same account leaves
 * N+2 alone, and a repeat after a crash finds nothing left to do.
 *
 * <p>With {@code single} the previous password stops working the moment a new one is delivered: revoke has nothing left
 * to remove (unless the account still holds exactly that version, as in an emergency revocation of the current one),
 * and discard cannot bring the previous password back, because MariaDB has replaced it and Rotakey never kept it;
 * discard then leaves the account as it is and says so in the log.
 */
public final class MariaDbUserTarget implements Target {
    static final String TYPE = "mariadb-user";
    private static final Logger LOG = LoggerFactory.getLogger(MariaDbUserTarget.class);
    /**
     * Refused in generated passwords: consumers put them in option files ({@code password=…}, where {@code #} starts a
     * comment and quotes and backslashes are escapes) and in SQL and shell strings.
     */
    private static final Set<Character> REFUSED = Set.of('\'', '"', '\\', '#');

    private final String name;
    private final MariaDbServer server;
    private final Endpoint endpoint;

    /**
     * @param adminPassword the administrative user's password (owned by this target from now on), or null when the
     *                      server lets it in without one
     */
    public MariaDbUserTarget(String name, String url, String adminUser, char[] adminPassword, int connectTimeoutMillis,
                             int socketTimeoutMillis) {
        this.name = name;
        this.server = new MariaDbServer(name, url, adminUser, adminPassword, connectTimeoutMillis, socketTimeoutMillis);
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
        binding.refuseUnknownParams(TYPE, UserBinding.PARAMETERS);
        UserBinding b = UserBinding.parse(binding);
        for (String login : b.loginUsers()) {
            if (login.equals(server.adminUser())) {
                // Rotating the admin's own password would lock Rotakey out of the server.
                throw new InvalidBindingException(UserBinding.USER, "must not name the target's administrative user '"
                        + server.adminUser() + "'");
            }
        }
    }

    @Override
    public Set<Character> refusedCharacters(TargetBinding binding) {
        return REFUSED;
    }

    /**
     * {@code <login user>:<digest>}: public, and how revoke recognises the version and which user of a pair it went to.
     */
    @Override
    public String materialReference(Delivery delivery) {
        if (delivery.isCertificate()) {
            return null;
        }
        UserBinding b = binding(delivery.binding());
        return AccountReference.of(loginUser(delivery), b.host(), hash(delivery)).text();
    }

    /** The user of a pair (or the single user) that a version logs in as, as its recorded references say. */
    @Override
    public String login(TargetBinding binding, String credentialId, VersionReferences version) {
        return AlternatingAccounts.userOf(binding(binding), version);
    }

    @Override
    public Endpoint endpoint(TargetBinding binding) {
        return endpoint;
    }

    /** The account(s) a binding changes, {@code user:<user>@<host>}: no other credential may rotate them too. */
    @Override
    public List<String> claims(TargetBinding binding) {
        UserBinding b = binding(binding);
        return b.loginUsers().stream().map(user -> "user:" + user + "@" + b.host()).toList();
    }

    /** The user a delivery goes to: where its version was first placed, else the one not holding CURRENT. */
    private String loginUser(Delivery delivery) {
        return AlternatingAccounts.forVersion(binding(delivery.binding()), delivery.version(), delivery.references(),
                delivery.current());
    }

    private static String hash(Delivery delivery) {
        byte[] utf8 = delivery.material().utf8();
        try {
            return NativePassword.of(utf8);
        } finally {
            Arrays.fill(utf8, (byte) 0);
        }
    }

    @Override
    public void deliver(Delivery delivery) {
        refuseCertificate(delivery);
        UserBinding b = binding(delivery.binding());
        String login = loginUser(delivery);
        String action = "deliver version " + delivery.version() + " of " + delivery.credentialId() + " to user '" + login
                + "'@'" + b.host() + "'";
        String hash = hash(delivery);
        try (Connection c = server.admin(action)) {
            server.sql(action, () -> {
                if (b.strategy() == UserBinding.Strategy.SINGLE) {
                    AccountCatalog.ensureUser(c, login, b.host());
                } else {
                    AccountCatalog.ensureRole(c, b.group());
                    // Both users, so that the operator can see (and the idle one cannot use) the pair from the start.
                    for (String user : b.loginUsers()) {
                        AccountCatalog.ensureUser(c, user, b.host());
                        grantRole(c, b, user, action);
                    }
                }
                return null;
            }, true);
            // The statement carries the hash: its text (and the server's complaint about it) is never shown.
            server.sql(action, () -> {
                AccountCatalog.setHash(c, login, b.host(), hash, false);
                return null;
            }, false);
            if (b.strategy() == UserBinding.Strategy.ALTERNATING) {
                defaultRole(c, b, login, delivery, action);
            }
        } catch (SQLException e) {
            throw server.failure(action, e, true);
        }
    }

    /** Grants the group to a login user; MariaDB lets only a holder of the role WITH ADMIN OPTION do that, root too. */
    private void grantRole(Connection c, UserBinding b, String user, String action) throws SQLException {
        try {
            AccountCatalog.grantRole(c, b.group(), user, b.host());
        } catch (SQLException e) {
            if (e.getErrorCode() != MariaDbServer.ACCESS_DENIED) {
                throw e;
            }
            throw new TargetException("target '" + name + "': cannot " + action + ": the admin user '" + server.adminUser()
                    + "' may not grant role '" + b.group() + "' (only a holder of a role WITH ADMIN OPTION may: GRANT '"
                    + b.group() + "' TO the admin WITH ADMIN OPTION)", false, e);
        }
    }

    /**
     * Makes the group the login user's default role. Doing that for another user needs UPDATE on the {@code mysql}
     * database, which an admin need not have (it would let it rewrite every grant): without it, the user sets its own
     * on a session of its own, which needs nothing.
     */
    private void defaultRole(Connection admin, UserBinding b, String login, Delivery delivery, String action) {
        try {
            AccountCatalog.setDefaultRole(admin, b.group(), login, b.host());
            return;
        } catch (SQLException e) {
            if (!MariaDbServer.privilegeMissing(e)) {
                throw server.failure(action, e, true);
            }
        }
        String own = action + " (setting its default role as the user itself)";
        try (Connection c = server.login(login, delivery.material().chars())) {
            server.sql(own, () -> {
                AccountCatalog.setOwnDefaultRole(c, b.group());
                return null;
            }, true);
        } catch (SQLException e) {
            throw server.failure(own, e, true);
        }
    }

    /**
     * Logs in as the version's user with its password on a fresh connection ({@code SELECT 1}), then — where the admin
     * may read {@code mysql.global_priv} — checks that the account stores that password's hash: the login alone could
     * have matched another account of the same user name (a more specific host), or a server plugin that lets anyone in.
     */
    @Override
    public void verify(Delivery delivery) {
        refuseCertificate(delivery);
        UserBinding b = binding(delivery.binding());
        String login = loginUser(delivery);
        String action = "log in as user '" + login + "' with version " + delivery.version() + " of " + delivery.credentialId();
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
        String check = "check the stored password of user '" + login + "'@'" + b.host() + "' against version "
                + delivery.version();
        String stored;
        try (Connection c = server.admin(check)) {
            stored = AccountCatalog.storedHash(c, login, b.host());
        } catch (SQLException e) {
            if (MariaDbServer.privilegeMissing(e)) {
                LOG.debug("target '{}': the admin user cannot read mysql.global_priv; the login alone proves the password", name);
                return;
            }
            throw server.failure(check, e, true);
        }
        byte[] expected = hash(delivery).getBytes(StandardCharsets.US_ASCII);
        if (stored == null || !MessageDigest.isEqual(stored.getBytes(StandardCharsets.US_ASCII), expected)) {
            throw new TargetException("target '" + name + "': cannot " + check + ": the account holds another password", false);
        }
    }

    @Override
    public void revoke(Revocation revocation) {
        lock(revocation, "revoke");
    }

    @Override
    public void discard(Revocation revocation) {
        UserBinding b = binding(revocation.binding());
        if (b.strategy() == UserBinding.Strategy.SINGLE) {
            // Locking the account would lock out everyone, and the previous password cannot be put back.
            if (holdsVersion(revocation, b, b.user(), "discard")) {
                LOG.warn("target '{}': user '{}'@'{}' keeps the password of discarded version {} of {}: with strategy "
                        + "single MariaDB replaced the previous password at delivery and it cannot be restored; the next "
                        + "delivery to the account replaces this one",
                        name, b.user(), b.host(), revocation.version(), revocation.credentialId());
            }
            return;
        }
        lock(revocation, "discard");
    }

    /**
     * Locks the version's account and gives it a hash of no known password, but only while the account still holds that
     * version's hash (its digest is among the recorded references): anything newer, and the other user of a pair (which
     * may hold the CURRENT version), stays untouched. The account is the one the references name, never one derived
     * from the version number. Between the check and the change nothing else writes the account, because the workflow
     * runs one operation per credential at a time and an account belongs to one credential (see {@link #claims}).
     */
    private void lock(Revocation revocation, String verb) {
        UserBinding b = binding(revocation.binding());
        for (String login : AlternatingAccounts.usersOf(b, revocation.version(), revocation.references())) {
            if (holdsVersion(revocation, b, login, verb)) {
                String action = verb + " version " + revocation.version() + " of " + revocation.credentialId()
                        + " at user '" + login + "'@'" + b.host() + "'";
                server.withAdmin(action, c -> {
                    AccountCatalog.setHash(c, login, b.host(), NativePassword.unknown(), true);
                    return null;
                }, false);
            }
        }
    }

    /** Whether the account {@code login}@host holds the hash this version's delivery set. */
    private boolean holdsVersion(Revocation revocation, UserBinding b, String login, String verb) {
        String action = verb + " version " + revocation.version() + " of " + revocation.credentialId() + " at user '"
                + login + "'@'" + b.host() + "'";
        if (revocation.references().isEmpty()) {
            throw new TargetException("target '" + name + "': cannot " + action + ": no reference to its password was "
                    + "recorded, so it cannot be told apart from a newer one", false);
        }
        String stored = server.withAdmin(action, c -> AccountCatalog.storedHash(c, login, b.host()), true);
        if (!NativePassword.isHash(stored)) {
            return false;
        }
        AccountReference held = AccountReference.of(login, b.host(), stored);
        return revocation.references().stream().map(AccountReference::parse).flatMap(Optional::stream)
                .anyMatch(held::equals);
    }

    private UserBinding binding(TargetBinding binding) {
        try {
            return UserBinding.parse(binding);
        } catch (InvalidBindingException e) {
            throw new TargetException("target '" + name + "': invalid binding: " + e.getMessage(), false, e);
        }
    }

    private void refuseCertificate(Delivery delivery) {
        if (delivery.isCertificate() || "certificate".equals(delivery.credentialType())) {
            throw new TargetException("target '" + name + "': a MariaDB user takes passwords, not certificates ("
                    + delivery + ")", false);
        }
    }

    @Override
    public void close() {
        server.close();
    }

    @Override
    public String toString() {
        return "MariaDbUserTarget{name=" + name + ", " + server + "}";
    }
}
