package dev.rotakey.fuzz;

import java.util.List;
import java.util.Random;

/**
 * Plausible and hostile values for ids, names, numbers, durations, cron expressions and binding paths,
 * drawn from a seeded {@link Random}: dot segments, control characters and NUL, bad percent-encoding,
 * absolute and traversing paths, huge and negative numbers, impossible durations and crons.
 * {@code marker} is put into every path-like value so that a file the daemon wrongly creates can be found.
 */
final class HostileValues {
    /** Ids of the victim agent and credential: valid ones, so that the fuzz also reaches deeper code. */
    static final String VICTIM_AGENT = "fuzz-victim";
    static final String VICTIM_CREDENTIAL = "fuzz-victim-api";

    private final Random random;
    private final String marker;

    HostileValues(Random random, String marker) {
        this.random = random;
        this.marker = marker;
    }

    String pick(List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    boolean chance(int percent) {
        return random.nextInt(100) < percent;
    }

    /** A raw string; the caller percent-encodes it (or, sometimes, does not). */
    String id() {
        return switch (random.nextInt(6)) {
            case 0 -> pick(List.of(VICTIM_AGENT, VICTIM_CREDENTIAL, "agents-ca", "nope", "a"));
            case 1 -> pick(List.of("..", ".", "../..", "../../" + marker, "/etc/passwd", "a/../../b", "a\\..\\b", "a;b=c",
                    "a?b", "a#b", "%2e%2e", "%", "%zz", "%ff", "a%00b"));
            case 2 -> pick(List.of("a\u0000b", "\u0001", "line\nbreak", "tab\tx", "\u007f", "\u202e" + "rtl", "caf\u00e9",
                    "\ud83d\ude00", "\ufeff", " ", "", "null", "true", "-1", "0"));
            case 3 -> "x".repeat(random.nextInt(3) == 0 ? 5000 : 65);
            case 4 -> randomText(1 + random.nextInt(30));
            default -> pick(List.of("CON", "fuzz-agent-" + random.nextInt(1000), "Upper-Case", "a.b_c-d", "1", marker));
        };
    }

    String number() {
        return pick(List.of("-1", "0", "1", "1000000", "2147483648", "99999999999999999999999", "1e9", "NaN", "0x10",
                " 1", "1 ", "", "abc", "-9223372036854775809", "9223372036854775807", "%ff", "3.5"));
    }

    String duration() {
        return pick(List.of("PT1H", "P7D", "PT0S", "-PT1H", "PT-1S", "P999999999999D", "PT9999999999999999H", "P", "PT",
                "P1Y", "P1M", "1h", "garbage", "", "PT0.0000000001S", "P1DT", "P-0D", "PT1H\u0000", "P292277024626Y"));
    }

    String cron() {
        return pick(List.of("0 0 * * * ?", "* * * * * ?", "0 0 0 31 2 ?", "invalid", "0/0 * * * * ?", "1-0 * * * * ?",
                "0 0 0 ? * MON#9", "", "* * * * * * * * *", "0 0 0 L-40 * ?", "0 0 12 1/0 * ?", "99 99 99 * * ?",
                "0 0 0 * * ? 1970", "0 0 0 * * ? 99999"));
    }

    String timestamp() {
        return pick(List.of("2026-12-01T00:00:00Z", "1970-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z", "0000-00-00",
                "yesterday", "", "2026-02-30T00:00:00Z", "-1", "99999999999999999"));
    }

    String role() {
        return pick(List.of("verifier", "admin", "root", "", "ADMIN", "verifier\u0000", "%ff"));
    }

    String level() {
        return pick(List.of("DEBUG", "OFF", "bogus", "", "trace", "%ff", "INFO\u0000"));
    }

    /** Loggers the fuzz may re-level: never ROOT or Rotakey's own (a TRACE root would flood the run). */
    String logger() {
        return pick(List.of("fuzz.logger", "", "fuzz." + marker, "x".repeat(3000), "..", "fuzz\u0000x"));
    }

    /** A binding path for the local-files target: traversal, absolute, NUL, a symlink planted by the test. */
    String bindingPath() {
        return pick(List.of("../../" + marker, "../" + marker, "/tmp/" + marker, "/" + marker, "a/../../../" + marker,
                "fuzz-link/" + marker, "fuzz-link/../../" + marker, marker + "\u0000.txt", "./" + marker, "a//b",
                "a\\..\\..\\" + marker, "", ".", "..", "~/" + marker, "fuzz/" + marker + "/ok", "C:\\" + marker,
                "a".repeat(300), marker + "/" + "b".repeat(5000), "%2e%2e/" + marker, "\u202e" + marker));
    }

    String randomText(int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                s.append((char) (0x21 + random.nextInt(0x5e)));
            } else if (kind < 8) {
                s.append((char) random.nextInt(0x20));
            } else {
                s.appendCodePoint(0xa0 + random.nextInt(0x2000));
            }
        }
        return s.toString();
    }
}
