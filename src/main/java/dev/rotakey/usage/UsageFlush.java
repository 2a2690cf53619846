package dev.rotakey.usage;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.db.Daos;
import dev.rotakey.db.UsageDao;
import dev.rotakey.db.UsageDao.HourlyRow;
import dev.rotakey.db.UsageDao.KnownValue;
import dev.rotakey.db.UsageDao.SummaryRow;
import dev.rotakey.usage.AnomalyDetector.Whose;
import dev.rotakey.usage.UsageCounters.Counts;
import dev.rotakey.usage.UsageCounters.Key;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes one drained window of counts in the caller's transaction (hourly rows, summaries, the services and networks
 * learnt), then looks for anomalies in the credentials it touched and records each new one with its audit event, in the
 * same transaction.
 */
final class UsageFlush {
    static final String SERVICE = "service";
    static final String NETWORK = "network";
    private static final String ACTOR = "rotakey";
    private static final Comparator<HourlyRow> PRIMARY_KEY = Comparator.comparing(HourlyRow::credentialId)
            .thenComparing(HourlyRow::hour).thenComparingInt(HourlyRow::version).thenComparing(HourlyRow::service)
            .thenComparing(HourlyRow::network);

    private final UsageFactory config;
    private final AnomalyDetector detector;
    private final AuditLog audit;

    UsageFlush(UsageFactory config, AnomalyDetector detector, AuditLog audit) {
        this.config = config;
        this.detector = detector;
        this.audit = audit;
    }

    /** Writes {@code drained}; returns the anomalies recorded (those not already recorded this hour). */
    List<Anomaly> write(Daos d, Map<Key, Counts> drained, Instant now) {
        Map<String, List<Map.Entry<Key, Counts>>> byCredential = new TreeMap<>();
        drained.entrySet().forEach(e -> byCredential.computeIfAbsent(e.getKey().credentialId(), k -> new ArrayList<>())
                .add(e));
        UsageDao dao = d.usage();
        Map<String, Instant> firstUses = dao.firstUses(byCredential.keySet());
        Map<String, Map<String, Set<String>>> known = new HashMap<>();
        for (KnownValue k : dao.known(byCredential.keySet())) {
            known.computeIfAbsent(k.credentialId(), c -> new HashMap<>())
                    .computeIfAbsent(k.kind(), c -> new HashSet<>()).add(k.value());
        }
        Map<HourlyRow, HourlyRow> rows = new TreeMap<>(PRIMARY_KEY);
        List<SummaryRow> summaries = new ArrayList<>();
        List<KnownValue> learnt = new ArrayList<>();
        List<Anomaly> found = new ArrayList<>();
        Map<String, Whose> whose = new LinkedHashMap<>();
        Map<String, Set<Instant>> hours = new HashMap<>();
        for (Map.Entry<String, List<Map.Entry<Key, Counts>>> c : byCredential.entrySet()) {
            String id = c.getKey();
            Map.Entry<Key, Counts> latest = c.getValue().stream()
                    .max(Comparator.comparingLong(e -> e.getValue().lastAtMillis)).orElseThrow();
            Whose w = new Whose(id, latest.getKey().version(), latest.getValue().agentId(), latest.getValue().owner());
            whose.put(id, w);
            Instant firstUse = firstUses.get(id);
            Map<String, Set<String>> k = known.computeIfAbsent(id, x -> new HashMap<>());
            Set<String> services = k.computeIfAbsent(SERVICE, x -> new HashSet<>());
            Set<String> networks = k.computeIfAbsent(NETWORK, x -> new HashSet<>());
            long uses = 0;
            Instant earliest = null;
            for (Map.Entry<Key, Counts> e : c.getValue()) {
                Key key = e.getKey();
                Counts n = e.getValue();
                String service = learn(w, AnomalyKind.NEW_SERVICE, key.service(), services,
                        config.getMaxServicesPerCredential(), firstUse, now, learnt, found);
                String network = learn(w, AnomalyKind.NEW_NETWORK, key.network(), networks,
                        config.getMaxNetworksPerCredential(), firstUse, now, learnt, found);
                Instant hour = Instant.ofEpochSecond(key.hour() * 3600);
                hours.computeIfAbsent(id, x -> new HashSet<>()).add(hour);
                HourlyRow row = new HourlyRow(id, key.version(), hour, service, network, n.uses(), n.denied(),
                        n.lastAt(), n.lastSource());
                rows.merge(row, row, UsageFlush::sum);
                uses += row.uses();
                earliest = earliest == null || row.lastUsedAt().isBefore(earliest) ? row.lastUsedAt() : earliest;
                if (n.previousLateAt() != null) {
                    found.add(detector.previousLate(new Whose(id, key.version(), w.agentId(), w.owner()),
                            key.service(), n.previousLateAt(), n.revokeAfter(), now));
                }
            }
            // The earliest last use of the window's counters: a first use is known to within one flush interval.
            Counts last = latest.getValue();
            summaries.add(new SummaryRow(id, earliest, last.lastAt(), latest.getKey().version(),
                    latest.getKey().service(), last.lastSource(), uses));
        }
        dao.addHourly(List.copyOf(rows.values()));
        dao.addSummaries(summaries);
        dao.learn(learnt);
        found.addAll(spikes(dao, whose, firstUses, hours, now));
        List<Anomaly> recorded = new ArrayList<>();
        for (Anomaly a : found) {
            if (dao.recordAnomaly(new UsageDao.AnomalyRow(a.credentialId(), a.version(), a.agentId(), a.owner(),
                    a.kind().wireName(), truncate(a.detail(), 1024), a.dedupKey(), a.detectedAt()))) {
                audit.record(d, ACTOR, AuditAction.USAGE_ANOMALY, a.auditSubject(), "anomaly",
                        "kind=" + a.kind().wireName() + " agent=" + a.agentId() + " owner=" + a.owner() + ": "
                                + a.detail());
                recorded.add(a);
            }
        }
        return recorded;
    }

    /**
     * The value a counter is written under: itself when known or learnt now (and, after the learning period, an anomaly
     * when new), or {@link UsageCounters#OTHER} once the credential knows {@code max} values: a credential used that
     * widely has no usual set to compare with, so the values past the bound are folded and raise nothing.
     */
    private String learn(Whose w, AnomalyKind kind, String value, Set<String> known, int max, Instant firstUse,
                         Instant now, List<KnownValue> learnt, List<Anomaly> found) {
        if (known.contains(value)) {
            return value;
        }
        String type = kind == AnomalyKind.NEW_SERVICE ? SERVICE : NETWORK;
        if (UsageCounters.OTHER.equals(value) || known.size() >= max) {
            if (known.add(UsageCounters.OTHER)) {
                learnt.add(new KnownValue(w.credentialId(), type, UsageCounters.OTHER, now));
            }
            return UsageCounters.OTHER;
        }
        known.add(value);
        learnt.add(new KnownValue(w.credentialId(), type, value, now));
        detector.newValue(w, kind, value, firstUse, now).ifPresent(found::add);
        return value;
    }

    /** Spikes in the hours this flush touched, each against its baseline; only credentials past learning are read. */
    private List<Anomaly> spikes(UsageDao dao, Map<String, Whose> whose, Map<String, Instant> firstUses,
                                 Map<String, Set<Instant>> hours, Instant now) {
        List<String> candidates = whose.keySet().stream().filter(id -> !detector.learning(firstUses.get(id), now))
                .toList();
        if (candidates.isEmpty()) {
            return List.of();
        }
        Instant from = candidates.stream().flatMap(id -> hours.get(id).stream()).min(Instant::compareTo).orElseThrow();
        Instant to = candidates.stream().flatMap(id -> hours.get(id).stream()).max(Instant::compareTo).orElseThrow();
        Map<String, Map<Instant, Long>> totals = dao.hourTotals(candidates, from, to);
        // Busy enough to be a spike whatever the baseline: only these need their baseline read, grouped by hour.
        Map<Instant, List<String>> busy = new TreeMap<>();
        for (String id : candidates) {
            for (Instant hour : hours.get(id)) {
                long n = totals.getOrDefault(id, Map.of()).getOrDefault(hour, 0L);
                if (n >= config.getSpikeMinimumUses()) {
                    busy.computeIfAbsent(hour, x -> new ArrayList<>()).add(id);
                }
            }
        }
        List<Anomaly> out = new ArrayList<>();
        busy.forEach((hour, ids) -> {
            Map<String, Long> windows = dao.usesBetween(ids, detector.baselineFrom(hour), hour);
            for (String id : ids) {
                detector.spike(whose.get(id), hour, totals.get(id).get(hour), windows.getOrDefault(id, 0L),
                        firstUses.get(id), now).ifPresent(out::add);
            }
        });
        return out;
    }

    private static HourlyRow sum(HourlyRow a, HourlyRow b) {
        boolean bLater = b.lastUsedAt().isAfter(a.lastUsedAt());
        return new HourlyRow(a.credentialId(), a.version(), a.hour(), a.service(), a.network(), a.uses() + b.uses(),
                a.denied() + b.denied(), bLater ? b.lastUsedAt() : a.lastUsedAt(),
                bLater ? b.lastSource() : a.lastSource());
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
