package dev.rotakey.targets.mariadb;

import dev.rotakey.targets.VersionReferences;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides which login user of a binding each version uses. With {@code alternating} a new version goes to the user
 * that does not hold the credential's CURRENT version, never by the parity of its number: failed rotations use up
 * version numbers, and parity would then put a new password on the account the agent is logged in with. A version
 * keeps the user its recorded references name ({@link AccountReference}), so a version re-issued after a restart
 * lands where it was first placed.
 */
final class AlternatingAccounts {
    private AlternatingAccounts() {
    }

    /**
     * The login user for a new or re-issued version: the one its own references name; else the one not holding
     * {@code current}; else, with no CURRENT version, {@code _a} for odd and {@code _b} for even numbers.
     */
    static String forVersion(UserBinding b, int version, List<String> ownReferences, VersionReferences current) {
        if (b.strategy() == UserBinding.Strategy.SINGLE) {
            return b.user();
        }
        Set<String> own = recorded(b, ownReferences);
        if (!own.isEmpty()) {
            return own.iterator().next();
        }
        if (current != null && current.version() != version) {
            return other(b, userOf(b, current));
        }
        return byParity(b, version);
    }

    /** The user a recorded version went to: the one its references name; without any, the one parity gives it. */
    static String userOf(UserBinding b, VersionReferences v) {
        if (b.strategy() == UserBinding.Strategy.SINGLE) {
            return b.user();
        }
        Set<String> users = recorded(b, v.references());
        return users.isEmpty() ? byParity(b, v.version()) : users.iterator().next();
    }

    /** Every user named by one of {@code references} (normally exactly one; the parity user when none is). */
    static Set<String> usersOf(UserBinding b, int version, List<String> references) {
        if (b.strategy() == UserBinding.Strategy.SINGLE) {
            return Set.of(b.user());
        }
        Set<String> users = recorded(b, references);
        return users.isEmpty() ? Set.of(byParity(b, version)) : users;
    }

    /** The pair's two login users. */
    static List<String> pair(UserBinding b) {
        return List.of(b.user() + "_a", b.user() + "_b");
    }

    private static String other(UserBinding b, String user) {
        List<String> pair = pair(b);
        return pair.get(0).equals(user) ? pair.get(1) : pair.get(0);
    }

    private static String byParity(UserBinding b, int version) {
        return pair(b).get(version % 2 == 1 ? 0 : 1);
    }

    /** The users of the pair that one of the references names. */
    private static Set<String> recorded(UserBinding b, List<String> references) {
        List<String> pair = pair(b);
        Set<String> out = new LinkedHashSet<>();
        for (String reference : references) {
            Optional<AccountReference> r = AccountReference.parse(reference);
            if (r.isPresent() && pair.contains(r.get().user())) {
                out.add(r.get().user());
            }
        }
        return out;
    }
}
