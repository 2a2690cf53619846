package dev.rotakey.targets.mariadb;

import dev.rotakey.targets.LoginPair;
import dev.rotakey.targets.VersionReferences;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which login user of a mariadb-user binding each version uses: {@link LoginPair}'s rule, with the users a version's
 * references name read from the references themselves ({@link AccountReference}).
 */
final class AlternatingAccounts {
    private AlternatingAccounts() {
    }

    /** The login user for a new or re-issued version ({@link LoginPair#forVersion}). */
    static String forVersion(UserBinding b, int version, List<String> ownReferences, VersionReferences current) {
        return logins(b).forVersion(version, ownReferences, current, recorded(b));
    }

    /** The user a recorded version went to ({@link LoginPair#loginOf}). */
    static String userOf(UserBinding b, VersionReferences v) {
        return logins(b).loginOf(v, recorded(b));
    }

    /** Every user named by one of {@code references} ({@link LoginPair#loginsOf}). */
    static Set<String> usersOf(UserBinding b, int version, List<String> references) {
        return logins(b).loginsOf(version, references, recorded(b));
    }

    /** The pair's two login users. */
    static List<String> pair(UserBinding b) {
        return logins(b).pair();
    }

    static LoginPair logins(UserBinding b) {
        return new LoginPair(b.user(), b.strategy() == UserBinding.Strategy.ALTERNATING);
    }

    /** The users of the pair that one of the references names. */
    private static LoginPair.Recorded recorded(UserBinding b) {
        return (version, references) -> {
            List<String> pair = pair(b);
            Set<String> out = new LinkedHashSet<>();
            for (String reference : references) {
                Optional<AccountReference> r = AccountReference.parse(reference);
                if (r.isPresent() && pair.contains(r.get().user())) {
                    out.add(r.get().user());
                }
            }
            return out;
        };
    }
}
