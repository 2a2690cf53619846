package dev.rotakey.auth;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The narrowest role a token's calls needed, derived from {@link AccessPolicy}'s table, for the posture report's
 * {@code token-too-broad}. Roles are ordered by privilege: VERIFIER and MONITOR, then AUDITOR and OWNER, then OPERATOR,
 * then ADMIN. A call needed the least privileged role its rule admits (the caller's own role when it is one of the least,
 * else the first in {@link Role}'s order, so AUDITOR before the owner-scoped OWNER). Two needs together need the least
 * privileged role that may call everything either may ({@link #covers}), never more than the token's own role: so a
 * need is never underestimated, and a token is never reported broader than it is.
 */
public final class NeededRoles {
    /** Issuable roles, least privileged first (ties in {@link Role}'s order). */
    private static final List<Role> BY_PRIVILEGE = Arrays.stream(Role.values()).filter(Role::issuable)
            .sorted(Comparator.comparingInt(NeededRoles::privilege).thenComparing(Enum::ordinal)).toList();

    private NeededRoles() {
    }

    /** The privilege level: 0 verifier and monitor, 1 auditor and owner, 2 operator, 3 admin (agent: 0, no token has it). */
    public static int privilege(Role role) {
        return switch (role) {
            case VERIFIER, MONITOR, AGENT -> 0;
            case AUDITOR, OWNER -> 1;
            case OPERATOR -> 2;
            case ADMIN -> 3;
        };
    }

    /** The role a call under {@code rule} by a token of role {@code caller} needed. */
    public static Role of(AccessPolicy.Rule rule, Role caller) {
        int least = rule.roles().stream().filter(Role::issuable).mapToInt(NeededRoles::privilege).min().orElse(3);
        if (rule.roles().contains(caller) && privilege(caller) == least) {
            return caller;
        }
        return BY_PRIVILEGE.stream().filter(r -> rule.roles().contains(r) && privilege(r) == least).findFirst()
                .orElse(caller);
    }

    /**
     * What needs {@code a} and {@code b} together need, for a token of role {@code caller}: the least privileged role
     * that {@linkplain #covers covers} both, at most the caller's own. A null need is none yet.
     */
    public static Role join(Role a, Role b, Role caller) {
        if (a == null || a == b) {
            return b == null ? a : b;
        }
        if (b == null) {
            return a;
        }
        return BY_PRIVILEGE.stream().filter(r -> covers(r, a) && covers(r, b)).findFirst()
                .filter(r -> privilege(r) <= privilege(caller)).orElse(caller);
    }

    /** Whether a token of {@code broader} may call every endpoint a token of {@code narrower} may. */
    public static boolean covers(Role broader, Role narrower) {
        return AccessPolicy.RULES.stream().allMatch(r -> !r.roles().contains(narrower) || r.roles().contains(broader));
    }

    /** Whether a token of {@code role} whose calls needed {@code needed} could have made them with a narrower role. */
    public static boolean broaderThanNeeded(Role role, Role needed) {
        return needed != null && privilege(needed) < privilege(role);
    }
}
