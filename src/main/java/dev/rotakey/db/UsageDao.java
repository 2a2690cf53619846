package dev.rotakey.db;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The usage telemetry's tables (migration 30-governance): hourly counts, one summary per credential, the services and
 * networks each credential is known to use, and the anomalies found. Counts are added, never overwritten, so that each
 * node of a cluster flushes its own: upserts with {@code ON CONFLICT} on PostgreSQL; on H2, which only one node ever
 * opens, an update and then an insert of what it found absent.
 */
public final class UsageDao {
    /** One row of {@code usage_hourly}: the uses of one version in one hour by one service from one network. */
    public record HourlyRow(String credentialId, int version, Instant hour, String service, String network, long uses,
                            long denied, Instant lastUsedAt, String lastSource) {
    }

    /** One row of {@code usage_summary}, or the counts a flush adds to it. */
    public record SummaryRow(String credentialId, Instant firstUsedAt, Instant lastUsedAt, int lastVersion,
                             String lastService, String lastSource, long uses) {
    }

    /** A service ({@code kind} {@code service}) or network ({@code network}) a credential is known to be used by. */
    public record KnownValue(String credentialId, String kind, String value, Instant firstSeen) {
    }

    /** One row of {@code usage_anomalies}. */
    public record AnomalyRow(String credentialId, Integer version, String agentId, String owner, String kind,
                             String detail, String dedupKey, Instant detectedAt) {
    }

    /** Ids per {@code IN (…)} list: a flush may touch many credentials. */
    private static final int CHUNK = 500;

    private final Handle h;
    private Boolean postgres;

    UsageDao(Handle h) {
        this.h = h;
    }

    private boolean postgres() {
        if (postgres == null) {
            try {
                postgres = h.getConnection().getMetaData().getURL().startsWith("jdbc:postgresql:");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot tell the database's engine", e);
            }
        }
        return postgres;
    }

    /**
     * The hour column: a keyword to H2 (the HOUR function), so quoted there as Liquibase created it.
     */
    private String hour() {
        return column("hour");
    }

    /** A column named by a word that H2 reserves ({@code hour}, {@code value}): quoted there, plain to PostgreSQL. */
    private String column(String name) {
        return postgres() ? name : "\"" + name.toUpperCase(java.util.Locale.ROOT) + "\"";
    }

    /** Adds each row's counts to its hour's row; rows in primary-key order, so that two nodes never deadlock. */
    public void addHourly(List<HourlyRow> rows) {
        if (rows.isEmpty()) {
            return;
        }
        if (postgres()) {
            PreparedBatch b = h.prepareBatch("INSERT INTO usage_hourly AS u (credential_id, version, " + hour() + ", "
                    + "relying_service, source_network, uses, denied, last_used_at, last_source) VALUES (:c, :v, :hour, "
                    + ":s, :n, :uses, :denied, :at, :src) ON CONFLICT (credential_id, " + hour() + ", version, relying_service, "
                    + "source_network) DO UPDATE SET uses = u.uses + EXCLUDED.uses, denied = u.denied + EXCLUDED.denied, "
                    + "last_source = CASE WHEN EXCLUDED.last_used_at >= u.last_used_at THEN EXCLUDED.last_source "
                    + "ELSE u.last_source END, last_used_at = GREATEST(u.last_used_at, EXCLUDED.last_used_at)");
            rows.forEach(r -> bindHourly(b, r).add());
            b.execute();
            return;
        }
        PreparedBatch update = h.prepareBatch("UPDATE usage_hourly SET uses = uses + :uses, denied = denied + :denied, "
                + "last_source = CASE WHEN :at >= last_used_at THEN :src ELSE last_source END, "
                + "last_used_at = GREATEST(last_used_at, :at) WHERE credential_id = :c AND " + hour() + " = :hour "
                + "AND version = :v AND relying_service = :s AND source_network = :n");
        updateThenInsert(update, h.prepareBatch("INSERT INTO usage_hourly (credential_id, version, " + hour()
                + ", relying_service, source_network, uses, denied, last_used_at, last_source) VALUES (:c, :v, :hour, "
                + ":s, :n, :uses, :denied, :at, :src)"), rows, UsageDao::bindHourly);
    }

    /**
     * H2's upsert: updates each row in one batch, then inserts in another those that updated nothing. Only one node
     * ever opens an H2 database, and its flushes run one at a time, so nothing can insert in between.
     */
    private static <T> void updateThenInsert(PreparedBatch update, PreparedBatch insert, List<T> rows,
                                             java.util.function.BiFunction<PreparedBatch, T, PreparedBatch> bind) {
        rows.forEach(r -> bind.apply(update, r).add());
        int[] updated = update.execute();
        for (int i = 0; i < rows.size(); i++) {
            if (updated[i] == 0) {
                bind.apply(insert, rows.get(i)).add();
            }
        }
        if (insert.size() > 0) {
            insert.execute();
        }
    }

    private static PreparedBatch bindHourly(PreparedBatch b, HourlyRow r) {
        return b.bind("c", r.credentialId()).bind("v", r.version()).bind("hour", r.hour()).bind("s", r.service())
                .bind("n", r.network()).bind("uses", r.uses()).bind("denied", r.denied()).bind("at", r.lastUsedAt())
                .bind("src", r.lastSource());
    }

    /** Adds each credential's uses to its summary, keeping the earliest first use and the latest last use. */
    public void addSummaries(List<SummaryRow> rows) {
        if (rows.isEmpty()) {
            return;
        }
        if (postgres()) {
            PreparedBatch b = h.prepareBatch("INSERT INTO usage_summary AS u (credential_id, first_used_at, last_used_at, "
                    + "last_version, last_relying_service, last_source, uses) VALUES (:c, :first, :at, :v, :s, :src, :uses) "
                    + "ON CONFLICT (credential_id) DO UPDATE SET uses = u.uses + EXCLUDED.uses, "
                    + "first_used_at = LEAST(u.first_used_at, EXCLUDED.first_used_at), "
                    + "last_version = CASE WHEN EXCLUDED.last_used_at >= u.last_used_at THEN EXCLUDED.last_version "
                    + "ELSE u.last_version END, "
                    + "last_relying_service = CASE WHEN EXCLUDED.last_used_at >= u.last_used_at "
                    + "THEN EXCLUDED.last_relying_service ELSE u.last_relying_service END, "
                    + "last_source = CASE WHEN EXCLUDED.last_used_at >= u.last_used_at THEN EXCLUDED.last_source "
                    + "ELSE u.last_source END, last_used_at = GREATEST(u.last_used_at, EXCLUDED.last_used_at)");
            rows.forEach(r -> bindSummary(b, r).add());
            b.execute();
            return;
        }
        PreparedBatch update = h.prepareBatch("UPDATE usage_summary SET uses = uses + :uses, "
                + "first_used_at = LEAST(first_used_at, :first), "
                + "last_version = CASE WHEN :at >= last_used_at THEN :v ELSE last_version END, "
                + "last_relying_service = CASE WHEN :at >= last_used_at THEN :s ELSE last_relying_service END, "
                + "last_source = CASE WHEN :at >= last_used_at THEN :src ELSE last_source END, "
                + "last_used_at = GREATEST(last_used_at, :at) WHERE credential_id = :c");
        updateThenInsert(update, h.prepareBatch("INSERT INTO usage_summary (credential_id, first_used_at, "
                + "last_used_at, last_version, last_relying_service, last_source, uses) VALUES (:c, :first, :at, :v, :s, "
                + ":src, :uses)"), rows, UsageDao::bindSummary);
    }

    private static PreparedBatch bindSummary(PreparedBatch b, SummaryRow r) {
        return b.bind("c", r.credentialId()).bind("first", r.firstUsedAt()).bind("at", r.lastUsedAt())
                .bind("v", r.lastVersion()).bind("s", r.lastService()).bind("src", r.lastSource()).bind("uses", r.uses());
    }

    /** When each of these credentials was first used, for those used before. */
    public Map<String, Instant> firstUses(Collection<String> credentialIds) {
        Map<String, Instant> out = new HashMap<>();
        for (List<String> chunk : chunks(credentialIds)) {
            h.createQuery("SELECT credential_id, first_used_at FROM usage_summary WHERE credential_id IN (<ids>)")
                    .bindList("ids", chunk)
                    .map((rs, ctx) -> Map.entry(rs.getString(1), instant(rs, 2)))
                    .forEach(e -> out.put(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** The services and networks these credentials are known to be used by. */
    public List<KnownValue> known(Collection<String> credentialIds) {
        List<KnownValue> out = new ArrayList<>();
        for (List<String> chunk : chunks(credentialIds)) {
            out.addAll(h.createQuery("SELECT credential_id, kind, " + column("value") + ", first_seen FROM usage_known "
                            + "WHERE credential_id IN (<ids>)")
                    .bindList("ids", chunk)
                    .map((rs, ctx) -> new KnownValue(rs.getString(1), rs.getString(2), rs.getString(3), instant(rs, 4)))
                    .list());
        }
        return out;
    }

    /** Records values as known; one another node recorded first is left as it is. */
    public void learn(List<KnownValue> values) {
        if (values.isEmpty()) {
            return;
        }
        PreparedBatch b = h.prepareBatch(postgres()
                ? "INSERT INTO usage_known (credential_id, kind, value, first_seen) VALUES (:c, :k, :v, :at) "
                + "ON CONFLICT DO NOTHING"
                : "INSERT INTO usage_known (credential_id, kind, \"VALUE\", first_seen) SELECT :c, :k, :v, :at "
                + "WHERE NOT EXISTS (SELECT 1 FROM usage_known WHERE credential_id = :c AND kind = :k "
                + "AND \"VALUE\" = :v)");
        values.forEach(k -> b.bind("c", k.credentialId()).bind("k", k.kind()).bind("v", k.value())
                .bind("at", k.firstSeen()).add());
        b.execute();
    }

    /** Each credential's uses per hour, for the hours from {@code from} to {@code to}, both included. */
    public Map<String, Map<Instant, Long>> hourTotals(Collection<String> credentialIds, Instant from, Instant to) {
        Map<String, Map<Instant, Long>> out = new HashMap<>();
        for (List<String> chunk : chunks(credentialIds)) {
            h.createQuery("SELECT credential_id, " + hour() + ", SUM(uses) FROM usage_hourly WHERE credential_id IN (<ids>) "
                            + "AND " + hour() + " >= :from AND " + hour() + " <= :to GROUP BY credential_id, " + hour())
                    .bindList("ids", chunk).bind("from", from).bind("to", to)
                    .map((rs, ctx) -> new Object[]{rs.getString(1), instant(rs, 2), rs.getLong(3)})
                    .forEach(r -> out.computeIfAbsent((String) r[0], k -> new HashMap<>()).put((Instant) r[1], (Long) r[2]));
        }
        return out;
    }

    /** Each credential's uses in the hours from {@code from} (included) to {@code to} (excluded). */
    public Map<String, Long> usesBetween(Collection<String> credentialIds, Instant from, Instant to) {
        Map<String, Long> out = new HashMap<>();
        for (List<String> chunk : chunks(credentialIds)) {
            h.createQuery("SELECT credential_id, SUM(uses) FROM usage_hourly WHERE credential_id IN (<ids>) "
                            + "AND " + hour() + " >= :from AND " + hour() + " < :to GROUP BY credential_id")
                    .bindList("ids", chunk).bind("from", from).bind("to", to)
                    .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                    .forEach(e -> out.put(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** Records an anomaly unless the same one ({@code dedupKey}) is already recorded, by this node or another. */
    public boolean recordAnomaly(AnomalyRow a) {
        String columns = "credential_id, version, agent_id, owner, kind, detail, dedup_key, detected_at";
        return h.createUpdate(postgres()
                        ? "INSERT INTO usage_anomalies (" + columns + ") VALUES (:c, :v, :agent, :owner, :kind, :detail, "
                        + ":key, :at) ON CONFLICT (dedup_key) DO NOTHING"
                        : "INSERT INTO usage_anomalies (" + columns + ") SELECT :c, :v, :agent, :owner, :kind, :detail, "
                        + ":key, :at WHERE NOT EXISTS (SELECT 1 FROM usage_anomalies WHERE dedup_key = :key)")
                .bind("c", a.credentialId()).bind("v", a.version()).bind("agent", a.agentId()).bind("owner", a.owner())
                .bind("kind", a.kind()).bind("detail", a.detail()).bind("key", a.dedupKey())
                .bind("at", a.detectedAt()).execute() == 1;
    }

    /** Deletes at most {@code limit} hourly rows of hours before {@code before}; how many it deleted. */
    public int pruneHourly(Instant before, int limit) {
        return h.createUpdate("DELETE FROM usage_hourly WHERE (credential_id, " + hour() + ", version, relying_service, "
                        + "source_network) IN (SELECT credential_id, " + hour() + ", version, relying_service, source_network "
                        + "FROM usage_hourly WHERE " + hour() + " < :before ORDER BY " + hour() + " LIMIT :limit)")
                .bind("before", before).bind("limit", limit).execute();
    }

    /** Deletes at most {@code limit} anomalies detected before {@code before}; how many it deleted. */
    public int pruneAnomalies(Instant before, int limit) {
        return h.createUpdate("DELETE FROM usage_anomalies WHERE id IN (SELECT id FROM usage_anomalies "
                        + "WHERE detected_at < :before ORDER BY detected_at LIMIT :limit)")
                .bind("before", before).bind("limit", limit).execute();
    }

    /** A credential's hourly rows, oldest first (for the API and tests). */
    public List<HourlyRow> hourly(String credentialId) {
        return h.createQuery("SELECT credential_id, version, " + hour() + ", relying_service, source_network, uses, denied, "
                        + "last_used_at, last_source FROM usage_hourly WHERE credential_id = :c "
                        + "ORDER BY " + hour() + ", version, relying_service, source_network")
                .bind("c", credentialId)
                .map((rs, ctx) -> new HourlyRow(rs.getString(1), rs.getInt(2), instant(rs, 3), rs.getString(4),
                        rs.getString(5), rs.getLong(6), rs.getLong(7), instant(rs, 8), rs.getString(9)))
                .list();
    }

    public Optional<SummaryRow> summary(String credentialId) {
        return h.createQuery("SELECT credential_id, first_used_at, last_used_at, last_version, last_relying_service, "
                        + "last_source, uses FROM usage_summary WHERE credential_id = :c")
                .bind("c", credentialId)
                .map((rs, ctx) -> new SummaryRow(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getInt(4),
                        rs.getString(5), rs.getString(6), rs.getLong(7)))
                .findOne();
    }

    /** A credential's anomalies, oldest first. */
    public List<AnomalyRow> anomalies(String credentialId) {
        return h.createQuery("SELECT credential_id, version, agent_id, owner, kind, detail, dedup_key, detected_at "
                        + "FROM usage_anomalies WHERE credential_id = :c ORDER BY id")
                .bind("c", credentialId)
                .map((rs, ctx) -> new AnomalyRow(rs.getString(1), (Integer) rs.getObject(2, Integer.class),
                        rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
                        instant(rs, 8)))
                .list();
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static List<List<String>> chunks(Collection<String> ids) {
        List<String> all = List.copyOf(ids);
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += CHUNK) {
            out.add(all.subList(i, Math.min(all.size(), i + CHUNK)));
        }
        return out;
    }
}
