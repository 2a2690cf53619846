package dev.rotakey.usage;

import java.util.Locale;

/** The kinds of usage anomaly, by their wire names ({@code spike}, {@code new-service}, …) as labels and audit details carry them. */
public enum AnomalyKind {
    /** Used far above its baseline in an hour. */
    SPIKE,
    /** Relied on by a service never seen before. */
    NEW_SERVICE,
    /** Used from a network never seen before. */
    NEW_NETWORK,
    /** A PREVIOUS version still allowed shortly before its revocation: a consumer has not switched. */
    PREVIOUS_LATE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
