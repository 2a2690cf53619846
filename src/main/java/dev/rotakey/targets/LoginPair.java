package dev.rotakey.targets;

import java.util.List;
import java.util.Set;

/**
 * Which login of a database binding each version uses, for targets with an {@code alternating} strategy (a
 * PostgreSQL role, a MariaDB account): a new version goes to the login of the pair ({@code <name>_a},
 * {@code <name>_b}) that does not hold the credential's CURRENT version, never by the parity of its number, since
 * failed rotations use up version numbers and parity would then put a new password on the login the agent is using.
 * A version keeps the login its recorded references name, so one re-issued after a restart lands where it was first
 * placed; parity only decides for a version without a CURRENT one or without references. With {@code single} there
 * is one login, the name itself.
 *
 * @param name        the binding's role or user
 * @param alternating whether the binding uses the pair
 */
public record LoginPair(String name, boolean alternating) {

    /** How a target reads its recorded references: the logins of the pair that they name. */
    @FunctionalInterface
    public interface Recorded {
        Set<String> named(int version, List<String> references);
    }

    /** The pair's two logins. */
    public List<String> pair() {
        return List.of(name + "_a", name + "_b");
    }

    /** The logins the binding may change: the pair, or the one login. */
    public List<String> logins() {
        return alternating ? pair() : List.of(name);
    }

    /**
     * The login for a new or re-issued version: the one its own references name; else the one not holding
     * {@code current}; else, with no CURRENT version, {@code _a} for odd and {@code _b} for even numbers.
     */
    public String forVersion(int version, List<String> ownReferences, VersionReferences current, Recorded recorded) {
        if (!alternating) {
            return name;
        }
        Set<String> own = recorded.named(version, ownReferences);
        if (!own.isEmpty()) {
            return own.iterator().next();
        }
        if (current != null && current.version() != version) {
            return other(loginOf(current, recorded));
        }
        return byParity(version);
    }

    /** The login a recorded version went to: the one its references name; without any, the one parity gave it. */
    public String loginOf(VersionReferences v, Recorded recorded) {
        if (!alternating) {
            return name;
        }
        Set<String> logins = recorded.named(v.version(), v.references());
        return logins.isEmpty() ? byParity(v.version()) : logins.iterator().next();
    }

    /** Every login named by one of {@code references} (normally exactly one; the parity login when none is). */
    public Set<String> loginsOf(int version, List<String> references, Recorded recorded) {
        if (!alternating) {
            return Set.of(name);
        }
        Set<String> logins = recorded.named(version, references);
        return logins.isEmpty() ? Set.of(byParity(version)) : logins;
    }

    private String other(String login) {
        List<String> pair = pair();
        return pair.get(0).equals(login) ? pair.get(1) : pair.get(0);
    }

    private String byParity(int version) {
        return pair().get(version % 2 == 1 ? 0 : 1);
    }
}
