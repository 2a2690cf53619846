package dev.rotakey.audit.stream;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.AuditDao.Chained;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes' streams on one database (H2 and PostgreSQL), with real threads, while three writers record events:
 * one node delivers at a time, in seq order with no gap, and when it stops the other goes on from its cursor.
 */
class AuditStreamClusterIT {
    @TempDir
    Path dir;

    /** A receiver shared by both nodes, as a SIEM is: what arrived, in arrival order, and from which node. */
    static final class SharedReceiver {
        final List<Long> seqs = Collections.synchronizedList(new ArrayList<>());
        final List<String> from = Collections.synchronizedList(new ArrayList<>());

        AuditStreamSink sinkOf(String node) {
            return new AuditStreamSink() {
                @Override
                public void deliver(List<Chained> events) {
                    synchronized (SharedReceiver.this) {
                        events.forEach(e -> {
                            seqs.add(e.seq());
                            from.add(node);
                        });
                    }
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** A stream's configuration whose receiver is {@code sink}. */
    private static AuditStreamFactory stream(AuditStreamSink sink) {
        AuditStreamFactory f = new AuditStreamFactory() {
            @Override
            public AuditStreamSink build() {
                return sink;
            }
        };
        f.setName("siem");
        f.setInterval(Duration.ofMillis(20));
        f.setBatchSize(7);
        return f;
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void oneSequenceDeliveredByOneNodeAtATimeAndTakenOverWhenItStops(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.open(engine, dir)) {
            SharedReceiver siem = new SharedReceiver();
            AuditStreams a = new AuditStreams(List.of(stream(siem.sinkOf("a"))), db.store(), "node-a",
                    Clock.systemUTC(), new PrometheusRegistry());
            AuditStreams b = new AuditStreams(List.of(stream(siem.sinkOf("b"))), db.store(), "node-b",
                    Clock.systemUTC(), new PrometheusRegistry());
            AuditLog audit = new AuditLog(db.store(), Clock.systemUTC(), NodeIdentity.single("writer"));
            a.start();
            b.start();
            ExecutorService writers = Executors.newFixedThreadPool(3);
            for (int w = 0; w < 3; w++) {
                int writer = w;
                writers.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        audit.record("token:w" + writer, AuditAction.TOKEN_CREATED, "token:t" + writer + "-" + i, "ok", null);
                    }
                });
            }
            writers.shutdown();
            assertThat(writers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> siem.seqs.size() >= 300);

            String first = siem.from.get(0);
            (first.equals("a") ? a : b).stop();
            for (int i = 0; i < 50; i++) {
                audit.record("token:late", AuditAction.TOKEN_CREATED, "token:late-" + i, "ok", null);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> siem.seqs.size() >= 350);
            (first.equals("a") ? b : a).stop();

            List<Long> seqs = List.copyOf(siem.seqs);
            List<Long> expected = java.util.stream.LongStream.rangeClosed(1, 350).boxed().toList();
            assertThat(seqs).as("every event once, in order: no duplicate, no gap").isEqualTo(expected);
            List<String> from = List.copyOf(siem.from);
            assertThat(from.subList(0, 300)).as("one node delivered while both ran").containsOnly(first);
            assertThat(from.subList(300, 350)).as("the other went on when it stopped").doesNotContain(first);
        }
    }
}
