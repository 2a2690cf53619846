package dev.rotakey.api;

import java.time.Duration;

/** Durations as people write them: {@code P7D} rather than Java's {@code PT168H}. */
public final class IsoDurations {
    private IsoDurations() {
    }

    public static String format(Duration d) {
        if (!d.isZero() && !d.isNegative() && d.toSecondsPart() == 0 && d.toNanosPart() == 0
                && d.toHoursPart() == 0 && d.toMinutesPart() == 0) {
            return "P" + d.toDays() + "D";
        }
        return d.toString();
    }
}
