package dev.rotakey.posture;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;
import java.util.Optional;

/** How bad a posture finding is, worst first, with the weight it takes off the fleet score. */
public enum Severity {
    CRITICAL(10), HIGH(5), MEDIUM(2), LOW(1);

    private final int weight;

    Severity(int weight) {
        this.weight = weight;
    }

    /** What one finding of this severity weighs in the score (docs/governance.md, "Posture report"). */
    public int weight() {
        return weight;
    }

    /** Whether this is at least as bad as {@code minimum}. */
    public boolean atLeast(Severity minimum) {
        return ordinal() <= minimum.ordinal();
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Severity> of(String wire) {
        for (Severity s : values()) {
            if (s.wireName().equals(wire)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
