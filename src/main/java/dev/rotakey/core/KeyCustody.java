package dev.rotakey.core;

import java.util.Locale;
import java.util.Optional;

/** Who keeps a certificate's private key: the agent (exported as PEM) or the key backend (non-extractable). */
public enum KeyCustody {
    /** Generated with the backend's RNG, delivered as PKCS#8 PEM, not kept by Rotakey. */
    EXPORT("export"),
    /** Generated inside the backend, never extractable; targets get its PKCS#11 URI. Destroyed at revocation. */
    HSM("hsm");

    private final String wireName;

    KeyCustody(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<KeyCustody> fromWire(String name) {
        for (KeyCustody k : values()) {
            if (k.wireName.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
