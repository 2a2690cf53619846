package dev.rotakey.faults;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where the fault model's wall-clock time goes (daemon calls, settle waits, probes, restarts), summed per label
 * over a whole test run, so that the budget of sequences per CI run can be reasoned about from the report.
 */
final class Timings {
    private static final Map<String, LongAdder[]> TOTALS = new ConcurrentSkipListMap<>();

    private Timings() {
    }

    /** Starts timing {@code label}; closing the span adds its duration. */
    static Span start(String label) {
        return new Span(label, System.nanoTime());
    }

    /** One timed span; nesting is allowed (an outer span includes its inner ones). */
    record Span(String label, long began) implements AutoCloseable {
        @Override
        public void close() {
            LongAdder[] t = TOTALS.computeIfAbsent(label, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
            t[0].add(System.nanoTime() - began);
            t[1].increment();
        }
    }

    /** One line per label: total seconds, count, mean milliseconds. */
    static String summary() {
        StringBuilder b = new StringBuilder("time spent (s total, count, ms mean):\n");
        TOTALS.forEach((label, t) -> {
            long n = Math.max(1, t[1].sum());
            b.append(String.format("  %-34s %8.1f s %7d x %8.1f ms%n", label, t[0].sum() / 1e9, t[1].sum(),
                    t[0].sum() / 1e6 / n));
        });
        return b.toString();
    }
}
