package dev.rotakey.faults;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fault model: seeded random sequences of operations (creations of every credential type on every target,
 * rotations, emergency revocations, decommissions, acks, pause/resume, CA rotation, restarts) run against the
 * real daemon while faults are injected between it and its real targets and backends; after every step the
 * invariants I1–I6 of docs/design.md are checked against the targets themselves. A failing sequence is shrunk
 * (delta debugging) and printed with its seed.
 *
 * <p>CI runs a fixed set of seeds, 1…40 ({@code rotakey.faults.sequences}, default 40): the same sequences on
 * every run, so that a red build is a regression and not a new seed's luck. Why 40: the whole suite has to finish
 * in five minutes on a 2-core machine (issue 12), and this class had most of that to itself with the 200
 * sequences issue 11 asked for (about 270 s, 1.3 s a sequence: each step waits for real retries and probes the
 * real targets; restarts are about a third of it). 40 sequences take about 55 s at that pace and still draw
 * every operation and fault kind several times (about 320 steps, a dozen restarts and CA rotations). Breadth
 * comes from elsewhere: {@code scripts/soak.sh --minutes 60} runs random seeds for as long as asked, and every
 * seed it finds failing replays with {@code ./scripts/test.sh -Dit.test=FaultModelIT -Drotakey.faults.seed=N}.
 * {@code rotakey.faults.budgetSeconds} (default 240) only guards against a wedged machine: no new sequence starts
 * after it, and the summary says how many ran. The report ends with where the time went. Other knobs:
 * {@code .baseSeed}, {@code .minutes} (run until then, random base seed), {@code .shrinkRuns}. Findings are also
 * written to {@code target/fault-model-report.txt}.
 */
class FaultModelIT {
    /** Seeds 1…40 in CI: see the class comment for why. */
    private static final int CI_SEQUENCES = 40;
    @TempDir
    static Path dir;
    static FaultWorld world;
    private static final AtomicInteger RUNS = new AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        world = new FaultWorld(dir);
    }

    @AfterAll
    static void stop() {
        if (world != null) {
            world.close();
        }
    }

    @Test
    void invariantsHoldUnderFaults() throws IOException {
        String replay = System.getProperty("rotakey.faults.seed");
        long base;
        long count;
        Instant deadline;
        if (replay != null && !replay.isBlank()) {
            base = Long.parseLong(replay.trim());
            count = 1;
            deadline = Instant.MAX;
        } else {
            String minutes = System.getProperty("rotakey.faults.minutes");
            base = Long.getLong("rotakey.faults.baseSeed", minutes == null ? 1 : System.nanoTime() % 1_000_000_000L);
            count = minutes == null ? Integer.getInteger("rotakey.faults.sequences", CI_SEQUENCES) : Long.MAX_VALUE;
            deadline = Instant.now().plus(minutes == null
                    ? Duration.ofSeconds(Long.getLong("rotakey.faults.budgetSeconds", 240))
                    : Duration.ofMinutes(Long.parseLong(minutes)));
        }
        int shrinkRuns = Integer.getInteger("rotakey.faults.shrinkRuns", 40);

        Map<String, String> findings = new LinkedHashMap<>();
        int ran = 0;
        int failed = 0;
        Instant began = Instant.now();
        for (long i = 0; i < count && Instant.now().isBefore(deadline); i++) {
            long seed = base + i;
            List<Op> ops = SequenceGenerator.generate(seed);
            SequenceRun run = new SequenceRun(world, prefix(seed));
            Optional<Violation> v;
            try (var t = Timings.start("sequence")) {
                v = run.run(ops);
            }
            ran++;
            if (v.isEmpty()) {
                continue;
            }
            failed++;
            String signature = v.get().signature();
            if (findings.containsKey(signature)) {
                findings.computeIfPresent(signature, (k, text) -> text.replaceFirst("also seeds: ", "also seeds: " + seed + " "));
                continue;
            }
            findings.put(signature, report(seed, ops, v.get(), run, shrinkRuns) + "\n  also seeds: \n");
            System.out.println(findings.get(signature));
        }
        long took = Duration.between(began, Instant.now()).toSeconds();
        String summary = "fault model: " + ran + " sequences (seeds " + base + "…" + (base + ran - 1) + ") in " + took
                + " s, " + failed + " failed, " + findings.size() + " distinct violations"
                + (count != Long.MAX_VALUE && ran < count ? " (the time budget stopped it before all " + count + " ran)" : "");
        summary += "\n" + Timings.summary();
        System.out.println(summary);
        Path out = Path.of("target/fault-model-report.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, summary + "\n\n" + String.join("\n", findings.values()), StandardCharsets.UTF_8);
        assertThat(ran).as("sequences run").isPositive();
        assertThat(findings.values()).as(summary + " (see target/fault-model-report.txt)").isEmpty();
    }

    /** The seed, the violation, the shrunk sequence that still shows it, and what the daemon answered in it. */
    private static String report(long seed, List<Op> ops, Violation v, SequenceRun run, int shrinkRuns) {
        List<Op> shortest = Shrinker.shrink(ops, candidate -> new SequenceRun(world, prefix(seed)).run(candidate)
                .map(w -> w.signature().equals(v.signature())).orElse(false), shrinkRuns);
        SequenceRun again = new SequenceRun(world, prefix(seed));
        Violation shrunk = again.run(shortest).orElse(v);
        StringBuilder b = new StringBuilder();
        b.append("VIOLATION ").append(v.invariant()).append(" seed ").append(seed)
                .append("  (replay: ./scripts/test.sh -Dit.test=FaultModelIT -Drotakey.faults.seed=").append(seed).append(")\n");
        b.append("  found: ").append(v).append('\n');
        b.append("  shortest sequence (").append(shortest.size()).append(" of ").append(ops.size()).append(" steps):\n");
        for (int i = 0; i < shortest.size(); i++) {
            b.append("    ").append(i).append(". ").append(shortest.get(i)).append('\n');
        }
        b.append("  shortest shows: ").append(shrunk).append('\n');
        b.append("  daemon answers in the shortest run:\n");
        again.log().forEach(line -> b.append("    ").append(line).append('\n'));
        return b.toString();
    }

    /** Fresh names for every run: credential ids, roles and users are never reused between runs. */
    private static String prefix(long seed) {
        return "s" + seed + "r" + RUNS.incrementAndGet();
    }
}
