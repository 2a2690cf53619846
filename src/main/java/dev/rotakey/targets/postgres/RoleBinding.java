package dev.rotakey.targets.postgres;

import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetBinding;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A postgres-role binding's parameters, checked: which role (or alternating pair sharing a group role)
 * a credential's passwords go to.
 */
record RoleBinding(Strategy strategy, String role, String group) {
    static final String ROLE = "role";
    static final String STRATEGY = "strategy";
    static final String GROUP = "group";
    static final Set<String> PARAMETERS = Set.of(ROLE, STRATEGY, GROUP);
    static final int MAX_IDENTIFIER_BYTES = 63;
    /** Names PostgreSQL refuses for roles even when quoted. */
    private static final Set<String> RESERVED = Set.of("public", "none", "current_user", "session_user", "current_role");

    /** How a binding's role receives new passwords. */
    enum Strategy {
        SINGLE, ALTERNATING
    }

    /** Every login role the binding uses: the role itself, or both of the alternating pair. */
    List<String> loginRoles() {
        return AlternatingRoles.logins(this).logins();
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
}
