package dev.rotakey.core;

import java.util.Locale;

/**
 * When a superseded version may be revoked: once its grace period is over, or once, in addition,
 * every expected consumer has acknowledged the version that replaced it.
 */
public enum RevokeWhen {
    GRACE, ACKNOWLEDGED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The value for a wire name, or null when there is none. */
    public static RevokeWhen fromWire(String s) {
        for (RevokeWhen w : values()) {
            if (w.wireName().equals(s)) {
                return w;
            }
        }
        return null;
    }
}
