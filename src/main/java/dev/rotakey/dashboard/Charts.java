package dev.rotakey.dashboard;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The numbers the dashboard's SVG charts are drawn from, computed in Java so that the templates only place
 * rectangles (no script, no inline style), and the one way the pages write times.
 */
public final class Charts {
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("EEE dd MMM", Locale.ROOT).withZone(ZoneOffset.UTC);

    private Charts() {
    }

    /** One bar of a horizontal bar chart: {@code percent} of the widest bar's length (at least 1 when count > 0). */
    public record Bar(String label, long count, int percent, String kind) {
    }

    /** Bars for {@code counts}, in their order, scaled to the largest; {@code kind} names the CSS class of each. */
    static List<Bar> bars(Map<String, Long> counts, java.util.function.Function<String, String> kind) {
        long max = counts.values().stream().mapToLong(Long::longValue).max().orElse(0);
        List<Bar> out = new ArrayList<>();
        counts.forEach((label, n) -> out.add(new Bar(label, n, percent(n, max), kind.apply(label))));
        return out;
    }

    static int percent(long n, long max) {
        if (n <= 0 || max <= 0) {
            return 0;
        }
        return (int) Math.max(1, Math.round(100.0 * n / max));
    }

    /** Text for a time, or a dash. */
    static String time(Instant at) {
        return at == null ? "—" : TIME.format(at);
    }

    /** How far {@code at} is from {@code now}, roughly: "in 3 d", "5 h ago". */
    static String relative(Instant at, Instant now) {
        if (at == null) {
            return "";
        }
        Duration d = Duration.between(now, at);
        boolean future = !d.isNegative();
        d = d.abs();
        String amount = d.toDays() >= 2 ? d.toDays() + " d" : d.toHours() >= 2 ? d.toHours() + " h"
                : Math.max(1, d.toMinutes()) + " min";
        return future ? "in " + amount : amount + " ago";
    }
}
