package dev.rotakey.alert;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.AlertingFactory;
import dev.rotakey.core.RetryPolicy;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Not a test: measures one alert evaluation over a fleet (default 100,000 credentials, each with a
 * CURRENT and a PREVIOUS version and two finished rotations; 1% whose latest rotation FAILED, 0.5%
 * with a failed revocation, 0.1% overdue, 10,000 certificates of which 1% expire soon), so that the
 * evaluation interval can be chosen with numbers. With the default cap of 100 alerts per condition.
 *
 * <pre>
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * java -cp target/classes:target/test-classes:$(cat target/test.cp) dev.rotakey.alert.AlertEvaluationBenchmark [N] [H2|POSTGRESQL ...]
 * </pre>
 */
public final class AlertEvaluationBenchmark {
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    private AlertEvaluationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 100_000;
        List<Engine> engines = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            engines.add(Engine.valueOf(args[i].toUpperCase(Locale.ROOT)));
        }
        if (engines.isEmpty()) {
            engines.addAll(List.of(Engine.values()));
        }
        System.out.printf("Rotakey alert evaluation benchmark: %,d credentials; %d cores, Java %s%n", n,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        for (Engine engine : engines) {
            Path dir = Files.createTempDirectory("rotakey-alert-bench");
            try (TestDatabase db = TestDatabases.open(engine, dir.resolve("db"))) {
                long t = System.nanoTime();
                seed(db, n);
                if (db.postgres()) {
                    db.jdbi().useHandle(h -> h.execute("ANALYZE"));
                }
                System.out.printf("%s: seeded in %.1f s%n", engine, (System.nanoTime() - t) / 1e9);
                Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
                KeyBackends none = new KeyBackends(Map.of());
                AuditLog audit = new AuditLog(db.store(), clock, NodeIdentity.single("bench"));
                AlertDispatcher dispatcher = new AlertDispatcher(List.of(), new RetryPolicy(1, Duration.ofMillis(1),
                        Duration.ofMillis(1), 1.0, 0.0), 10, new PrometheusRegistry());
                AlertEvaluator evaluator = new AlertEvaluator(new AlertingFactory(), db.store(), none,
                        new CertificateAuthorities(Map.of(), none, db.store(), audit, clock), () -> false, dispatcher,
                        audit, clock, new PrometheusRegistry());
                for (int round = 1; round <= 5; round++) {
                    long s = System.nanoTime();
                    AlertReconciliation r = evaluator.evaluate();
                    System.out.printf("  evaluation %d: %6.1f ms (opened %d, repeated %d, resolved %d; holding %s)%n",
                            round, (System.nanoTime() - s) / 1e6, r.open().size(), r.repeat().size(), r.resolve().size(),
                            evaluator.firingCounts());
                }
            }
        }
    }

    private static void seed(TestDatabase db, int n) {
        Timestamp created = Timestamp.from(NOW.minus(Duration.ofDays(60)));
        db.jdbi().useTransaction(h -> {
            h.execute("INSERT INTO agents (id, owner, kind, attributes, status, created_at) VALUES "
                    + "('fleet', 'ops@example.org', 'PERSISTENT', '{}', 'ACTIVE', ?)", created);
            PreparedBatch credentials = h.prepareBatch("INSERT INTO credentials (id, agent_id, type, backend, "
                    + "rotation_every, grace_period, bindings, status, next_rotation_at, created_at) VALUES "
                    + "(:id, 'fleet', 'api-key', 'hsm', 'P7D', 'PT1H', '[]', 'ACTIVE', :next, :created)");
            for (int i = 0; i < n; i++) {
                boolean overdue = i % 1000 == 0;
                credentials.bind("id", id(i)).bind("created", created)
                        .bind("next", Timestamp.from(overdue ? NOW.minus(Duration.ofHours(5))
                                : NOW.plus(Duration.ofMinutes(i % 10_000)))).add();
            }
            credentials.execute();
        });
        db.jdbi().useTransaction(h -> {
            PreparedBatch versions = h.prepareBatch("INSERT INTO credential_versions (credential_id, version, state, "
                    + "digest, created_at, revoke_after, revoke_attempts, revoke_error) VALUES (:c, :v, :state, :digest, "
                    + ":created, :revokeAfter, 0, :error)");
            PreparedBatch rotations = h.prepareBatch("INSERT INTO rotations (id, credential_id, version, trigger_kind, actor, "
                    + "state, step, attempts, emergency, correlation_id, started_at, updated_at, finished_at) VALUES "
                    + "(:id, :c, :v, 'schedule', 'scheduler', :state, 'DONE', 1, FALSE, 'bench', :at, :at, :at)");
            for (int i = 0; i < n; i++) {
                String c = id(i);
                versions.bind("c", c).bind("v", 1).bind("state", "PREVIOUS").bind("digest", "d1-" + c)
                        .bind("created", created).bind("revokeAfter", Timestamp.from(NOW.plus(Duration.ofMinutes(30))))
                        .bind("error", i % 200 == 0 ? "target redis-main: connection refused" : null).add();
                versions.bind("c", c).bind("v", 2).bind("state", "CURRENT").bind("digest", "d2-" + c)
                        .bind("created", created).bind("revokeAfter", (Timestamp) null).bind("error", (String) null).add();
                rotations.bind("id", "r1-" + c).bind("c", c).bind("v", 1).bind("state", "SUCCEEDED")
                        .bind("at", Timestamp.from(NOW.minus(Duration.ofDays(8)))).add();
                rotations.bind("id", "r2-" + c).bind("c", c).bind("v", 2).bind("state", i % 100 == 0 ? "FAILED" : "SUCCEEDED")
                        .bind("at", Timestamp.from(NOW.minus(Duration.ofHours(1)))).add();
                if (i % 5_000 == 4_999) {
                    versions.execute();
                    rotations.execute();
                }
            }
            versions.execute();
            rotations.execute();
            PreparedBatch certs = h.prepareBatch("INSERT INTO issued_certificates (serial, ca_name, ca_generation, "
                    + "credential_id, version, agent_id, not_before, not_after, issued_at) VALUES (:s, 'agents-ca', 1, :c, 2, "
                    + "'fleet', :nb, :na, :nb)");
            for (int i = 0; i < Math.min(n, 10_000); i++) {
                certs.bind("s", Integer.toHexString(i + 1)).bind("c", id(i * 10 % n))
                        .bind("nb", created).bind("na", Timestamp.from(NOW.plus(i % 100 == 0 ? Duration.ofDays(2)
                                : Duration.ofDays(20)))).add();
            }
            certs.execute();
        });
    }

    private static String id(int i) {
        return String.format("cred-%06d", i);
    }
}
