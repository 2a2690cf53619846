package dev.rotakey.targets.redis;

import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetBinding;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A redis-acl binding's parameters, checked: the ACL user whose passwords Rotakey manages, the rules it is
 * created with, and the characters its passwords must avoid.
 */
final class AclUserBinding {
    static final String USER = "user";
    static final String RULES = "rules";
    static final String REFUSE = "refuse";
    static final Set<String> PARAMETERS = Set.of(USER, RULES, REFUSE);
    /** Conservative: letters, digits and a little punctuation, never an ACL rule prefix or whitespace. */
    private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.:@+-]{0,127}");
    /** Rules that would change how the user authenticates: that is Rotakey's business alone. */
    private static final Set<String> PASSWORD_RULES = Set.of("nopass", "resetpass", "reset", "off");

    private AclUserBinding() {
    }

    static String user(TargetBinding binding) {
        String user = binding.requireParam(USER);
        if (user.equals("default")) {
            // Unauthenticated connections are the default user: a password on it would lock them all out.
            throw new InvalidBindingException(USER, "must not be 'default' (the user of unauthenticated connections); "
                    + "give the agent a user of its own");
        }
        if (!USER_NAME.matcher(user).matches()) {
            throw new InvalidBindingException(USER, "'" + printable(user) + "' is not a Redis ACL user name Rotakey accepts: "
                    + "1 to 128 letters, digits and _ . : @ + -, not starting with punctuation other than _");
        }
        return user;
    }

    static List<String> rules(TargetBinding binding) {
        String rules = binding.param(RULES);
        if (rules == null || rules.isBlank()) {
            return List.of();
        }
        if (rules.length() > 1024) {
            throw new InvalidBindingException(RULES, "is longer than 1024 characters");
        }
        List<String> out = new ArrayList<>();
        for (String rule : rules.trim().split("\\s+")) {
            if (rule.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                throw new InvalidBindingException(RULES, "must be printable ASCII rules separated by spaces");
            }
            char first = rule.charAt(0);
            if (first == '>' || first == '<' || first == '#' || first == '!'
                    || PASSWORD_RULES.contains(rule.toLowerCase(Locale.ROOT))) {
                throw new InvalidBindingException(RULES, "must not set passwords or switch the user off ('"
                        + (first == '>' || first == '<' || first == '#' || first == '!' ? first + "…" : rule)
                        + "'): Rotakey manages the user's passwords");
            }
            out.add(rule);
        }
        return out;
    }

    static Set<Character> refused(TargetBinding binding) {
        String refuse = binding.param(REFUSE);
        if (refuse == null) {
            return Set.of();
        }
        Set<Character> out = new HashSet<>();
        for (char c : refuse.toCharArray()) {
            if (c < 0x21 || c > 0x7e) {
                throw new InvalidBindingException(REFUSE, "must list printable ASCII characters");
            }
            out.add(c);
        }
        return out;
    }

    private static String printable(String s) {
        return s.codePoints().map(c -> c < 0x20 || c == 0x7f ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }
}
