package dev.rotakey.db;

import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Not a test: times one refresh of the fleet gauges (every {@link FleetDao} query FleetMetrics runs,
 * per-credential series off and on) over N credentials (default 100,000), each with a CURRENT and a
 * REVOKED version and two finished rotations, a tenth of them certificates, on each engine.
 *
 * <pre>
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * java -cp target/classes:target/test-classes:$(cat target/test.cp) dev.rotakey.db.FleetDaoBenchmark [N] [H2|POSTGRESQL ...]
 * </pre>
 */
public final class FleetDaoBenchmark {
    private FleetDaoBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        List<Engine> engines = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            engines.add(Engine.valueOf(args[i]));
        }
        if (engines.isEmpty()) {
            engines = List.of(Engine.POSTGRESQL, Engine.H2);
        }
        for (Engine engine : engines) {
            Path dir = Files.createTempDirectory("fleet-bench");
            try (TestDatabase db = TestDatabases.open(engine, dir)) {
                long t0 = System.nanoTime();
                populate(db, n);
                System.out.printf("%s: %,d credentials stored in %.1f s%n", engine, n, (System.nanoTime() - t0) / 1e9);
                for (boolean perCredential : new boolean[]{false, true}) {
                    long best = Long.MAX_VALUE;
                    for (int run = 0; run < 5; run++) {
                        long start = System.nanoTime();
                        refresh(db.store(), perCredential);
                        best = Math.min(best, System.nanoTime() - start);
                    }
                    System.out.printf("%s: one refresh%s: %.1f ms (best of 5)%n", engine,
                            perCredential ? " with per-credential series" : "", best / 1e6);
                }
                perQuery(engine, db.store());
            }
        }
    }

    /** Each query alone, best of 3, to see which one a slow refresh spends its time in. */
    private static void perQuery(Engine engine, Store store) {
        Instant now = Instant.now();
        java.util.Map<String, java.util.function.Consumer<FleetDao>> queries = new java.util.LinkedHashMap<>();
        queries.put("earliestNextRotation", FleetDao::earliestNextRotation);
        queries.put("overdue", f -> f.overdue(now.minus(Duration.ofHours(1))));
        queries.put("credentialsByStatus", FleetDao::credentialsByStatus);
        queries.put("versionsByState", FleetDao::versionsByState);
        queries.put("credentialsWithFailedRotation", FleetDao::credentialsWithFailedRotation);
        queries.put("failedRevocations", FleetDao::failedRevocations);
        queries.put("lastSuccessfulRotation", FleetDao::lastSuccessfulRotation);
        queries.put("earliestCurrentCertificateExpiry", FleetDao::earliestCurrentCertificateExpiry);
        queries.put("activeSchedules", f -> f.activeSchedules(100_000));
        queries.forEach((name, q) -> {
            long best = Long.MAX_VALUE;
            for (int run = 0; run < 3; run++) {
                long start = System.nanoTime();
                store.read(d -> {
                    q.accept(d.fleet());
                    return null;
                });
                best = Math.min(best, System.nanoTime() - start);
            }
            System.out.printf("%s:   %s %.1f ms%n", engine, name, best / 1e6);
        });
    }

    private static void refresh(Store store, boolean perCredential) {
        Instant now = Instant.now();
        store.read(d -> {
            FleetDao f = d.fleet();
            f.earliestNextRotation();
            f.overdue(now.minus(Duration.ofHours(1)));
            f.credentialsByStatus();
            f.versionsByState();
            f.credentialsWithFailedRotation();
            f.failedRevocations();
            f.lastSuccessfulRotation();
            f.earliestCurrentCertificateExpiry();
            f.caCertificatesInUse();
            if (perCredential) {
                f.activeSchedules(100_000);
            }
            return null;
        });
    }

    private static void populate(TestDatabase db, int n) {
        Instant now = Instant.now();
        db.jdbi().useTransaction(h -> {
            h.createUpdate("INSERT INTO agents (id, owner, kind, attributes, status, created_at) "
                    + "VALUES ('bench', 'team@example.com', 'PERSISTENT', '{}', 'ACTIVE', :at)").bind("at", now).execute();
            h.createUpdate("INSERT INTO certificate_authorities (name, generation, key_alias, key_spec, backend, certificate, "
                    + "state, created_at) VALUES ('agents-ca', 1, 'a', 'EC_P256', 'hsm', 'x', 'ACTIVE', :at)")
                    .bind("at", now).execute();
            var cred = h.prepareBatch("INSERT INTO credentials (id, agent_id, type, backend, grace_period, bindings, status, "
                    + "next_rotation_at, created_at) VALUES (:id, 'bench', :type, 'hsm', 'PT1H', '[]', 'ACTIVE', :next, :at)");
            var version = h.prepareBatch("INSERT INTO credential_versions (credential_id, version, state, created_at, "
                    + "promoted_at) VALUES (:c, :v, :state, :at, :at)");
            var rotation = h.prepareBatch("INSERT INTO rotations (id, credential_id, version, trigger_kind, actor, state, "
                    + "step, attempts, emergency, correlation_id, started_at, updated_at, finished_at) VALUES (:id, :c, :v, "
                    + "'SCHEDULE', 'scheduler', :state, 'DONE', 0, FALSE, 'corr', :at, :at, :at)");
            var issued = h.prepareBatch("INSERT INTO issued_certificates (serial, ca_name, ca_generation, credential_id, "
                    + "version, agent_id, not_before, not_after, issued_at) VALUES (:s, 'agents-ca', 1, :c, :v, 'bench', "
                    + ":at, :na, :at)");
            for (int i = 0; i < n; i++) {
                String id = String.format("cred-%07d", i);
                boolean cert = i % 10 == 0;
                Instant next = now.plus(Duration.ofMinutes(i % 10_000));
                cred.bind("id", id).bind("type", cert ? "certificate" : "api-key").bind("next", next).bind("at", now).add();
                for (int v = 1; v <= 2; v++) {
                    Instant at = now.minus(Duration.ofDays(v == 1 ? 14 : 7)).plusSeconds(i);
                    version.bind("c", id).bind("v", v).bind("state", v == 1 ? "REVOKED" : "CURRENT").bind("at", at).add();
                    rotation.bind("id", id + "-" + v).bind("c", id).bind("v", v)
                            .bind("state", i % 1000 == 0 && v == 2 ? "FAILED" : "SUCCEEDED").bind("at", at).add();
                    if (cert) {
                        issued.bind("s", id + "-" + v).bind("c", id).bind("v", v).bind("at", at)
                                .bind("na", at.plus(Duration.ofDays(30))).add();
                    }
                }
                if (i % 5_000 == 4_999 || i == n - 1) {
                    cred.execute();
                    version.execute();
                    rotation.execute();
                    if (issued.size() > 0) {
                        issued.execute();
                    }
                }
            }
        });
        if (db.postgres()) {
            db.jdbi().useHandle(h -> h.execute("ANALYZE"));
        }
    }
}
