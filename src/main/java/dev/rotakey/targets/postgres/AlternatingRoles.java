package dev.rotakey.targets.postgres;

import dev.rotakey.targets.VersionReferences;

import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides which login role of a binding each version uses. With {@code alternating} a new version goes to
 * the role that does not hold the credential's CURRENT version, never by the parity of its number: failed
 * rotations use up version numbers, and parity would then put a new password on the role the agent is
 * logged in with. A version keeps the role its recorded reference names (a verifier salt derived from the
 * credential, version and role), so a version re-issued after a restart lands where it was first placed.
 */
final class AlternatingRoles {
    private AlternatingRoles() {
    }

    /**
     * The login role for a new or re-issued version: the one its own references name; else the one not holding
     * {@code current}; else, with no CURRENT version, {@code _a} for odd and {@code _b} for even numbers.
     */
    static String forVersion(RoleBinding b, String credentialId, int version, List<String> ownReferences,
                             VersionReferences current) {
        if (b.strategy() == RoleBinding.Strategy.SINGLE) {
            return b.role();
        }
        Set<String> own = recorded(b, credentialId, version, ownReferences);
        if (!own.isEmpty()) {
            return own.iterator().next();
        }
        if (current != null && current.version() != version) {
            return other(b, roleOf(b, credentialId, current));
        }
        return byParity(b, version);
    }

    /**
     * The role a recorded version went to: the one its references name; for a version recorded before roles were
     * chosen this way (or without references), the role parity gave it then.
     */
    static String roleOf(RoleBinding b, String credentialId, VersionReferences v) {
        if (b.strategy() == RoleBinding.Strategy.SINGLE) {
            return b.role();
        }
        Set<String> roles = recorded(b, credentialId, v.version(), v.references());
        return roles.isEmpty() ? byParity(b, v.version()) : roles.iterator().next();
    }

    /**
     * Every role named by one of {@code references} (normally exactly one; the parity role when none matches, so
     * that versions recorded before this rule are still found).
     */
    static Set<String> rolesOf(RoleBinding b, String credentialId, int version, List<String> references) {
        if (b.strategy() == RoleBinding.Strategy.SINGLE) {
            return Set.of(b.role());
        }
        Set<String> roles = recorded(b, credentialId, version, references);
        return roles.isEmpty() ? Set.of(byParity(b, version)) : roles;
    }

    /** The pair's two login roles. */
    static List<String> pair(RoleBinding b) {
        return List.of(b.role() + "_a", b.role() + "_b");
    }

    private static String other(RoleBinding b, String role) {
        List<String> pair = pair(b);
        return pair.get(0).equals(role) ? pair.get(1) : pair.get(0);
    }

    private static String byParity(RoleBinding b, int version) {
        return pair(b).get(version % 2 == 1 ? 0 : 1);
    }

    /** The roles whose salt for this version is among the references. */
    private static Set<String> recorded(RoleBinding b, String credentialId, int version,
                                        List<String> references) {
        Set<String> out = new LinkedHashSet<>();
        for (String role : pair(b)) {
            String salt = Base64.getEncoder().encodeToString(PostgresRoleTarget.salt(credentialId, version, role));
            if (references.contains(salt)) {
                out.add(role);
            }
        }
        return out;
    }
}
