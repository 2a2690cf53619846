package dev.rotakey.schedule;

import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.db.ScheduleDao;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.testing.RecordingJobHandler;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Not a test: measures whether one node's scheduler holds a fleet of credentials. On each engine it
 * stores N credentials (default 100,000) due far in the future, lets {@link QuartzWorkScheduler#reconcile()}
 * create their N rotation triggers (one {@code rotateAt} each, as after a lost schedule), then times a
 * {@code reconcile()} that finds every trigger present, the {@link ScheduleDao#rotationsWithoutTrigger}
 * anti-join, a scheduler restart, and how late a trigger fires among N waiting ones. On PostgreSQL it
 * runs ANALYZE after the bulk insert, once a minute while scheduling and once after, as autovacuum
 * would (see {@link #analyze}; {@code -Dbench.analyze=false} turns that off).
 *
 * <pre>
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * java -cp target/classes:target/test-classes:$(cat target/test.cp) dev.rotakey.schedule.SchedulerScaleBenchmark [N] [H2|POSTGRESQL ...]
 * </pre>
 */
public final class SchedulerScaleBenchmark {
    private static final int BATCH = 1_000;

    private SchedulerScaleBenchmark() {
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
        System.out.printf("Rotakey scheduler scale benchmark: %,d credentials; %d cores, Java %s%n", n,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        for (Engine engine : engines) {
            run(engine, n);
        }
    }

    private static void run(Engine engine, int n) throws Exception {
        Path dir = Files.createTempDirectory("rotakey-bench-");
        try (TestDatabase db = TestDatabases.open(engine, dir)) {
            String sched = "bench-" + UUID.randomUUID().toString().substring(0, 8);
            RecordingJobHandler handler = new RecordingJobHandler();
            QuartzWorkScheduler scheduler = db.scheduler(TestDatabase.schedulerConfig(sched), handler);
            scheduler.start();
            System.out.printf("%n== %s (%s)%n", engine, db.factory().getUrl());

            // Due in 30 to 60 days, spread out as jitter would spread them.
            Instant base = Instant.now().truncatedTo(ChronoUnit.MILLIS).plus(Duration.ofDays(30));
            long t = System.nanoTime();
            db.store().txRun(tx -> tx.agents().insert(new Agent("fleet", "ops@example.org", Agent.AgentKind.PERSISTENT,
                    null, Map.of(), Agent.AgentStatus.ACTIVE, null, base, null)));
            for (int from = 0; from < n; from += BATCH) {
                int start = from;
                db.store().txRun(tx -> {
                    for (int i = start; i < Math.min(start + BATCH, n); i++) {
                        String id = String.format("cred-%06d", i);
                        tx.credentials().insert(new Credential(id, "fleet", CredentialType.API_KEY, "hsm",
                                RotationPolicy.every(Duration.ofDays(30)), Duration.ofHours(1),
                                List.of(new TargetBinding("local-files", Map.of("path", "fleet/" + id))),
                                Credential.CredentialStatus.ACTIVE,
                                base.plusMillis((long) (i * 7_919L % n) * (30L * 86_400_000L / n)), base, null));
                    }
                });
            }
            report("insert credentials (DAO, 1,000 per transaction)", t, n);
            analyze(db, "after the bulk insert");

            t = System.nanoTime();
            int missing = db.store().read(d -> d.schedules().rotationsWithoutTrigger(sched, java.time.Instant.now().plus(java.time.Duration.ofDays(36500)), n)).size();
            report("rotationsWithoutTrigger, none scheduled (" + missing + " found)", t, 0);

            t = System.nanoTime();
            Thread progress = progress(db, sched, t);
            try {
                scheduler.reconcile();
            } finally {
                progress.interrupt();
            }
            report("reconcile() from no triggers = " + n + " x rotateAt", t, n);
            int triggers = db.jdbi().withHandle(h -> h.createQuery(
                    "SELECT COUNT(*) FROM QRTZ_TRIGGERS WHERE SCHED_NAME = :s AND TRIGGER_GROUP = 'rotate'")
                    .bind("s", sched).mapTo(Integer.class).one());
            System.out.printf("   rotation triggers stored: %,d%n", triggers);
            if (triggers != n) {
                throw new IllegalStateException("expected " + n + " triggers, found " + triggers);
            }

            analyze(db, "after scheduling");

            List<Long> reconcile = new ArrayList<>();
            List<Long> antiJoin = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                // A write, so that H2 cannot answer from the result of the identical query before it.
                touch(db);
                t = System.nanoTime();
                scheduler.reconcile();
                reconcile.add(System.nanoTime() - t);
                touch(db);
                t = System.nanoTime();
                int found = db.store().read(d -> d.schedules().rotationsWithoutTrigger(sched, java.time.Instant.now().plus(java.time.Duration.ofDays(36500)), 100_000)).size();
                antiJoin.add(System.nanoTime() - t);
                if (found != 0) {
                    throw new IllegalStateException(found + " credentials still without a trigger");
                }
            }
            System.out.printf("   %-60s median %8.1f ms  (runs: %s)%n", "reconcile(), all " + n + " triggers present",
                    median(reconcile), ms(reconcile));
            System.out.printf("   %-60s median %8.1f ms  (runs: %s)%n", "rotationsWithoutTrigger, all present",
                    median(antiJoin), ms(antiJoin));

            t = System.nanoTime();
            scheduler.stop();
            report("scheduler stop", t, 0);
            scheduler = db.scheduler(TestDatabase.schedulerConfig(sched), handler);
            t = System.nanoTime();
            scheduler.start();
            report("scheduler start with " + n + " triggers (includes reconcile)", t, 0);

            List<Long> late = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Instant at = Instant.now().plusMillis(300);
                String id = "probe-" + i;
                scheduler.continueRotationAt(id, at);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!handler.called(RecordingJobHandler.CONTINUE, id)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("probe trigger did not fire within 30 s");
                    }
                    LockSupport.parkNanos(200_000);
                }
                late.add(Duration.between(at, handler.first(RecordingJobHandler.CONTINUE, id).orElseThrow().at()).toNanos());
            }
            System.out.printf("   %-60s median %8.1f ms  (runs: %s)%n", "lateness of a trigger among " + n + " waiting",
                    median(late), ms(late));
            scheduler.stop();
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * PostgreSQL plans the anti-join from table statistics. Autovacuum gathers them soon after bulk
     * changes; where it is off (as on some test machines) or has not run yet, the planner may choose a
     * nested loop that scans the triggers once per credential. {@code -Dbench.analyze=false} shows that.
     */
    private static void analyze(TestDatabase db, String when) {
        if (db.postgres() && Boolean.parseBoolean(System.getProperty("bench.analyze", "true"))) {
            long t = System.nanoTime();
            db.jdbi().useHandle(h -> h.execute("ANALYZE"));
            report("ANALYZE " + when + " (as autovacuum would)", t, 0);
        }
    }

    /**
     * Prints every 30 s how many rotation triggers exist, so that a slowing rate shows; on PostgreSQL
     * also runs ANALYZE once a minute meanwhile, as autovacuum would for a table growing this fast.
     */
    private static Thread progress(TestDatabase db, String sched, long startNanos) {
        Thread t = new Thread(() -> {
            for (int tick = 1; !Thread.currentThread().isInterrupted(); tick++) {
                LockSupport.parkNanos(Duration.ofSeconds(30).toNanos());
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                int count = db.jdbi().withHandle(h -> h.createQuery(
                        "SELECT COUNT(*) FROM QRTZ_TRIGGERS WHERE SCHED_NAME = :s AND TRIGGER_GROUP = 'rotate'")
                        .bind("s", sched).mapTo(Integer.class).one());
                System.out.printf("      ... %,7d triggers after %5.0f s%n", count, (System.nanoTime() - startNanos) / 1e9);
                if (tick % 2 == 0) {
                    analyze(db, "while scheduling");
                }
            }
        }, "benchmark-progress");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void touch(TestDatabase db) {
        db.jdbi().useHandle(h -> h.execute(
                "UPDATE credentials SET next_rotation_at = next_rotation_at WHERE id = 'cred-000000'"));
    }

    private static void report(String what, long startNanos, int ops) {
        double ms = (System.nanoTime() - startNanos) / 1e6;
        if (ops > 0) {
            System.out.printf("   %-60s %10.1f ms  (%,.0f per second)%n", what, ms, ops / (ms / 1000));
        } else {
            System.out.printf("   %-60s %10.1f ms%n", what, ms);
        }
    }

    private static double median(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        return sorted.get(sorted.size() / 2) / 1e6;
    }

    private static String ms(List<Long> nanos) {
        return nanos.stream().map(x -> String.format("%.1f", x / 1e6)).reduce((a, b) -> a + ", " + b).orElse("");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
