package dev.rotakey.posture;

import dev.rotakey.db.PostureDao;
import dev.rotakey.db.Store;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Computes the posture report: reads the fleet in one database session with a handful of set-based queries
 * ({@link PostureFinder}, {@link TokenFindings}), then scores, counts and lists the findings. The score is
 * {@code 100 - 100 * W / (10 * N)}, rounded down and clamped to 0-100 (so 100 means no finding at all), where W is the sum of the findings' weights
 * ({@link Severity#weight()}: critical 10, high 5, medium 2, low 1) and N the number of active credentials (at least
 * 1): a fleet with one critical finding per credential scores 0.
 */
public final class PostureReports {
    /** Worst first, then by kind, owner, agent and subject: a stable order from one report to the next. */
    static final Comparator<Finding> ORDER = Comparator.comparing(Finding::severity)
            .thenComparing(Finding::kind)
            .thenComparing(Finding::owner, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(Finding::agent, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(Finding::subject);

    private final Store store;
    private final PosturePolicy policy;
    private final Clock clock;
    private final PostureFinder finder;
    private final TokenFindings tokens;

    public PostureReports(Store store, PosturePolicy policy, Clock clock) {
        this.store = store;
        this.policy = policy;
        this.clock = clock;
        this.finder = new PostureFinder(policy);
        this.tokens = new TokenFindings(policy.posture());
    }

    /** Every finding of the fleet, unlisted ones too, with the agents it was judged from. */
    public record Assessment(Instant at, List<PostureDao.AgentRow> agents, List<Finding> findings) {
    }

    /** Judges the whole fleet now. */
    public Assessment assess() {
        Instant now = clock.instant();
        return store.read(d -> {
            List<PostureDao.AgentRow> agents = d.posture().agents();
            List<Finding> findings = new ArrayList<>(finder.find(d, agents, now));
            findings.addAll(tokens.find(d.posture().tokens(now), now));
            findings.sort(ORDER);
            return new Assessment(now, agents, findings);
        });
    }

    /**
     * The report of the whole fleet, or of one owner's agents and credentials ({@code owner}; tokens not bound to it are
     * left out), listing the findings of at least {@code minimum} severity (null: all).
     */
    public PostureReport report(String owner, Severity minimum) {
        Assessment a = assess();
        List<PostureDao.AgentRow> agents = a.agents().stream().filter(r -> owner == null || owner.equals(r.owner())).toList();
        List<Finding> scoped = a.findings().stream().filter(f -> owner == null || owner.equals(f.owner())).toList();

        Map<String, PostureReport.OwnerCounts> byOwner = new TreeMap<>();
        Map<String, int[]> inventory = new TreeMap<>();
        for (PostureDao.AgentRow r : agents) {
            int[] n = inventory.computeIfAbsent(r.owner(), k -> new int[2]);
            n[0]++;
            n[1] += r.credentials();
        }
        Map<String, List<Finding>> findingsByOwner = new TreeMap<>();
        scoped.stream().filter(f -> f.owner() != null)
                .forEach(f -> findingsByOwner.computeIfAbsent(f.owner(), k -> new ArrayList<>()).add(f));
        findingsByOwner.keySet().forEach(o -> inventory.putIfAbsent(o, new int[2]));
        inventory.forEach((o, n) -> {
            List<Finding> fs = findingsByOwner.getOrDefault(o, List.of());
            byOwner.put(o, new PostureReport.OwnerCounts(n[0], n[1], fs.size(), bySeverity(fs)));
        });
        int credentials = agents.stream().mapToInt(PostureDao.AgentRow::credentials).sum();
        Map<String, Integer> byKind = new LinkedHashMap<>();
        scoped.forEach(f -> byKind.merge(f.kind().wireName(), 1, Integer::sum));
        PostureReport.Counts counts = new PostureReport.Counts(agents.size(), credentials, scoped.size(),
                bySeverity(scoped), byKind, byOwner);

        List<Finding> listed = new ArrayList<>();
        Map<String, Integer> shown = new LinkedHashMap<>();
        Map<String, Integer> truncated = new LinkedHashMap<>();
        int max = policy.posture().getMaxFindings();
        for (Finding f : scoped) {
            if (minimum != null && !f.severity().atLeast(minimum)) {
                continue;
            }
            String kind = f.kind().wireName();
            if (shown.merge(kind, 1, Integer::sum) <= max) {
                listed.add(f);
            } else {
                truncated.merge(kind, 1, Integer::sum);
            }
        }
        return new PostureReport(a.at(), score(scoped, credentials), counts, listed, truncated);
    }

    /** {@code 100 - 100 * W / (10 * N)}, rounded down, within 0-100 (see the class's comment). */
    static int score(List<Finding> findings, int credentials) {
        long weight = findings.stream().mapToLong(f -> f.severity().weight()).sum();
        double score = 100.0 - 100.0 * weight / (10.0 * Math.max(1, credentials));
        return (int) Math.max(0, Math.min(100, Math.floor(score)));
    }

    private static Map<String, Integer> bySeverity(List<Finding> findings) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Severity s : Severity.values()) {
            out.put(s.wireName(), 0);
        }
        findings.forEach(f -> out.merge(f.severity().wireName(), 1, Integer::sum));
        return out;
    }
}
