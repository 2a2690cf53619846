package dev.rotakey.alert;

import java.util.Locale;

/** How urgent an alert is; the {@code severity} label ({@code critical}, {@code warning}). */
public enum AlertSeverity {
    CRITICAL, WARNING, INFO;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
