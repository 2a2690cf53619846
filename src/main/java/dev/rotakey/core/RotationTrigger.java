package dev.rotakey.core;

import java.util.Locale;

/** What started a rotation. Serialised in lower case, as docs/design.md spells them. */
public enum RotationTrigger {
    INITIAL,
    SCHEDULE,
    OPERATOR,
    EMERGENCY,
    EXPIRY,
    DECOMMISSION;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
