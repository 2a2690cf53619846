package dev.rotakey.core;

import java.util.Locale;
import java.util.Optional;

/**
 * The kinds of credential Rotakey manages: random API keys, random passwords for systems that take
 * passwords, and X.509 certificates issued by a configured CA.
 */
public enum CredentialType {
    API_KEY("api-key"),
    CERTIFICATE("certificate"),
    PASSWORD("password");

    private final String wireName;

    CredentialType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<CredentialType> fromWire(String name) {
        if (name == null) {
            return Optional.empty();
        }
        for (CredentialType t : values()) {
            if (t.wireName.equals(name.toLowerCase(Locale.ROOT))) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
