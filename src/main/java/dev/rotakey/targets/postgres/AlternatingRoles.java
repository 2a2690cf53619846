package dev.rotakey.targets.postgres;

import dev.rotakey.targets.LoginPair;
import dev.rotakey.targets.VersionReferences;

import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which login role of a postgres-role binding each version uses: {@link LoginPair}'s rule, with the roles a version's
 * references name read from its verifier salts (derived from the credential, version and role).
 */
final class AlternatingRoles {
    private AlternatingRoles() {
    }

    /** The login role for a new or re-issued version ({@link LoginPair#forVersion}). */
    static String forVersion(RoleBinding b, String credentialId, int version, List<String> ownReferences,
                             VersionReferences current) {
        return logins(b).forVersion(version, ownReferences, current, recorded(b, credentialId));
    }

    /** The role a recorded version went to ({@link LoginPair#loginOf}). */
    static String roleOf(RoleBinding b, String credentialId, VersionReferences v) {
        return logins(b).loginOf(v, recorded(b, credentialId));
    }

    /** Every role named by one of {@code references} ({@link LoginPair#loginsOf}). */
    static Set<String> rolesOf(RoleBinding b, String credentialId, int version, List<String> references) {
        return logins(b).loginsOf(version, references, recorded(b, credentialId));
    }

    /** The pair's two login roles. */
    static List<String> pair(RoleBinding b) {
        return logins(b).pair();
    }

    static LoginPair logins(RoleBinding b) {
        return new LoginPair(b.role(), b.strategy() == RoleBinding.Strategy.ALTERNATING);
    }

    /** The roles whose salt for the version is among the references. */
    private static LoginPair.Recorded recorded(RoleBinding b, String credentialId) {
        return (version, references) -> {
            Set<String> out = new LinkedHashSet<>();
            for (String role : pair(b)) {
                String salt = Base64.getEncoder().encodeToString(PostgresRoleTarget.salt(credentialId, version, role));
                if (references.contains(salt)) {
                    out.add(role);
                }
            }
            return out;
        };
    }
}
