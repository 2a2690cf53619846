package dev.rotakey.core;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * The scopes a credential may carry for least privilege at its relying services, and what a scope string may be: an
 * OAuth 2.0 scope token (RFC 6749 section 3.3: printable ASCII without space, {@code "} or {@code \}), at most
 * {@value #MAX_LENGTH} characters, at most {@value #MAX_SCOPES} per credential.
 */
public final class CredentialScopes {
    public static final int MAX_LENGTH = 128;
    public static final int MAX_SCOPES = 64;

    private CredentialScopes() {
    }

    /**
     * The scopes of a new credential, in the order given without repeats, or an empty list for none.
     *
     * @throws RejectedException naming {@code field} when a scope is not a scope token or there are too many
     */
    public static List<String> of(String field, List<String> scopes) {
        if (scopes == null) {
            return List.of();
        }
        if (scopes.size() > MAX_SCOPES) {
            throw RejectedException.invalid(field, "may hold at most " + MAX_SCOPES + " scopes");
        }
        for (String scope : scopes) {
            check(field, scope);
        }
        return List.copyOf(new LinkedHashSet<>(scopes));
    }

    /** @throws RejectedException naming {@code field} when {@code scope} is not a scope token */
    public static void check(String field, String scope) {
        if (scope == null || scope.isEmpty()) {
            throw RejectedException.invalid(field, "holds an empty scope");
        }
        if (scope.length() > MAX_LENGTH) {
            throw RejectedException.invalid(field, "holds a scope longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < scope.length(); i++) {
            char c = scope.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
                throw RejectedException.invalid(field, "holds a scope with a character a scope token cannot have "
                        + "(printable ASCII without space, '\"' or '\\\\')");
            }
        }
    }
}
