package dev.rotakey.testing;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Vault's duration syntax: bare seconds ({@code 3600}, {@code "3600"}) or Go units ({@code "1h30m"}). */
final class VaultDurations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

    private VaultDurations() {
    }

    static Duration parse(String text) {
        String s = text.trim();
        if (s.isEmpty()) {
            return Duration.ZERO;
        }
        if (s.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(s));
        }
        Matcher m = PART.matcher(s);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                throw new IllegalArgumentException("time: invalid duration \"" + text + "\"");
            }
            end = m.end();
            double value = Double.parseDouble(m.group(1));
            long millis = switch (m.group(2)) {
                case "ms" -> (long) value;
                case "s" -> (long) (value * 1_000);
                case "m" -> (long) (value * 60_000);
                case "h" -> (long) (value * 3_600_000);
                default -> (long) (value * 86_400_000);
            };
            total = total.plusMillis(millis);
        }
        if (end != s.length()) {
            throw new IllegalArgumentException("time: invalid duration \"" + text + "\"");
        }
        return total;
    }

    /** Go's {@code time.Duration.String()} form that Vault puts in warnings, e.g. {@code 1h0m0s}. */
    static String format(Duration d) {
        long s = d.getSeconds();
        if (s == 0) {
            return "0s";
        }
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        if (h > 0) {
            return h + "h" + m + "m" + sec + "s";
        }
        if (m > 0) {
            return m + "m" + sec + "s";
        }
        return sec + "s";
    }
}
