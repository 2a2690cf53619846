package dev.rotakey.targets.mariadb;

import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetBinding;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A mariadb-user binding's parameters, checked: which account ({@code 'user'@'host'}), or alternating pair of
 * accounts sharing a role's privileges, a credential's passwords go to.
 */
record UserBinding(Strategy strategy, String user, String host, String group) {
    static final String USER = "user";
    static final String HOST = "host";
    static final String STRATEGY = "strategy";
    static final String GROUP = "group";
    static final Set<String> PARAMETERS = Set.of(USER, HOST, STRATEGY, GROUP);
    /** MariaDB's limit for user and role names, in characters (10.4 and later). */
    static final int MAX_NAME_CHARS = 80;
    /** MariaDB's limit for the host part of an account. */
    static final int MAX_HOST_CHARS = 255;
    /**
     * A host name, an IP address (v4 or v6) or a pattern of either with {@code %} and {@code _}, or an address with a
     * netmask ({@code 10.0.0.0/255.255.255.0}): nothing that needs more than the quotes around it.
     */
    private static final Pattern HOST_PATTERN = Pattern.compile("[a-z0-9%_.:/-]+");
    /** The server's own accounts and the names SQL gives a meaning of their own, compared case-insensitively. */
    private static final Set<String> RESERVED = Set.of("root", "mysql", "mariadb.sys", "debian-sys-maint", "public",
            "none", "current_user", "current_role");

    /** How a binding's account receives new passwords. */
    enum Strategy {
        SINGLE, ALTERNATING
    }

    /** Every login user of the binding: the user itself, or both of the alternating pair. */
    List<String> loginUsers() {
        return AlternatingAccounts.logins(this).logins();
    }

    static UserBinding parse(TargetBinding binding) {
        String strategyText = binding.param(STRATEGY);
        Strategy strategy;
        if (strategyText == null || strategyText.isBlank() || strategyText.trim().equalsIgnoreCase("single")) {
            strategy = Strategy.SINGLE;
        } else if (strategyText.trim().equalsIgnoreCase("alternating")) {
            strategy = Strategy.ALTERNATING;
        } else {
            throw new InvalidBindingException(STRATEGY, "must be 'single' or 'alternating'");
        }
        String user = binding.requireParam(USER);
        // Room for the _a/_b suffix when alternating.
        name(USER, user, strategy == Strategy.ALTERNATING ? 2 : 0);
        String host = host(binding.param(HOST));
        String group = binding.param(GROUP);
        if (group != null) {
            if (strategy == Strategy.SINGLE) {
                throw new InvalidBindingException(GROUP, "is only for strategy 'alternating'");
            }
            name(GROUP, group, 0);
        }
        return new UserBinding(strategy, user, host, strategy == Strategy.SINGLE ? null : (group == null ? user : group));
    }

    /**
     * The host part, lower-cased as MariaDB stores it; {@code %} (any host) when absent. An empty host would name a role,
     * not a user.
     */
    private static String host(String value) {
        if (value == null) {
            return "%";
        }
        String host = value.toLowerCase(Locale.ROOT);
        if (host.isEmpty() || host.length() > MAX_HOST_CHARS || !HOST_PATTERN.matcher(host).matches()) {
            throw new InvalidBindingException(HOST, "must be 1 to " + MAX_HOST_CHARS + " characters of a host name, an IP "
                    + "address or a pattern of them (letters, digits and . - : / % _), such as '%', 'localhost' or '10.0.%'");
        }
        return host;
    }

    /**
     * A user or role name Rotakey accepts: 1 to 80 characters, no control characters, no backslash (whose meaning in a
     * string literal depends on the server's {@code sql_mode}), no surrounding spaces, not one of the server's own.
     */
    private static void name(String parameter, String value, int suffixChars) {
        int chars = value.codePointCount(0, value.length());
        if (value.isEmpty() || chars + suffixChars > MAX_NAME_CHARS) {
            throw new InvalidBindingException(parameter, "must be 1 to " + (MAX_NAME_CHARS - suffixChars) + " characters long"
                    + (suffixChars > 0 ? " (the login users add '_a' and '_b', and MariaDB allows " + MAX_NAME_CHARS + ")"
                    : " (MariaDB's limit for user and role names)"));
        }
        if (value.codePoints().anyMatch(c -> c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))) {
            throw new InvalidBindingException(parameter, "must not contain control characters");
        }
        if (value.indexOf('\\') >= 0) {
            throw new InvalidBindingException(parameter, "must not contain a backslash");
        }
        if (!value.strip().equals(value)) {
            throw new InvalidBindingException(parameter, "must not begin or end with white space");
        }
        String lower = value.toLowerCase(Locale.ROOT);
        if (RESERVED.contains(lower) || lower.startsWith("mysql.") || lower.startsWith("mariadb.")) {
            throw new InvalidBindingException(parameter, "'" + value + "' is a name the server reserves for itself");
        }
    }
}
