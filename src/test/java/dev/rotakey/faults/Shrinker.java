package dev.rotakey.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Zeller's delta debugging (ddmin) over a failing sequence: leaves out ever smaller chunks of steps while the
 * sequence still fails the same way, and returns a sequence from which no single step can be removed.
 */
final class Shrinker {
    private Shrinker() {
    }

    /** The shortest failing sequence found within {@code maxRuns} replays of {@code stillFails}. */
    static List<Op> shrink(List<Op> failing, Predicate<List<Op>> stillFails, int maxRuns) {
        List<Op> current = List.copyOf(failing);
        int runs = 0;
        int n = 2;
        while (current.size() >= 2 && runs < maxRuns) {
            int chunk = (int) Math.ceil(current.size() / (double) n);
            boolean reduced = false;
            for (int start = 0; start < current.size() && runs < maxRuns; start += chunk) {
                List<Op> complement = new ArrayList<>(current.subList(0, start));
                complement.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
                if (complement.isEmpty()) {
                    continue;
                }
                runs++;
                if (stillFails.test(complement)) {
                    current = List.copyOf(complement);
                    n = Math.max(n - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (!reduced) {
                if (chunk == 1) {
                    break;
                }
                n = Math.min(current.size(), n * 2);
            }
        }
        return current;
    }
}
