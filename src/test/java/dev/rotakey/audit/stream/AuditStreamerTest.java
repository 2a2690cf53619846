package dev.rotakey.audit.stream;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.AuditDao.Chained;
import dev.rotakey.db.AuditStreamDao.Position;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** One stream's delivery on a real (H2) audit trail: at least once, in order, from a durable cursor, one node at a time. */
class AuditStreamerTest {
    private static final Duration LEASE = Duration.ofMinutes(2);

    @TempDir
    Path dir;
    private TestDatabase db;
    private AuditLog audit;
    private final TestClock clock = TestClock.at("2026-12-06T00:00:00Z");
    private final Counter delivered = Counter.builder().name("delivered").labelNames("stream").register(new PrometheusRegistry());
    private final Counter failures = Counter.builder().name("failures").labelNames("stream").register(new PrometheusRegistry());

    @BeforeEach
    void open() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.H2, dir);
        audit = new AuditLog(db.store(), clock, NodeIdentity.single("node-a"));
    }

    @AfterEach
    void close() throws Exception {
        db.close();
    }

    /** A receiver that keeps what it took and refuses while told to. */
    static final class ScriptedSink implements AuditStreamSink {
        final List<List<Long>> batches = new ArrayList<>();
        int refuse;

        @Override
        public void deliver(List<Chained> events) throws IOException {
            if (refuse > 0) {
                refuse--;
                throw new ConnectException("Connection refused");
            }
            batches.add(events.stream().map(Chained::seq).toList());
        }

        List<Long> received() {
            return batches.stream().flatMap(List::stream).toList();
        }

        @Override
        public void close() {
        }
    }

    private AuditStreamer streamer(String holder, ScriptedSink sink, int batchSize) {
        return new AuditStreamer("siem", sink, db.store(), holder, batchSize, LEASE, clock,
                delivered.labelValues("siem"), failures.labelValues("siem"));
    }

    private void record(int n) {
        for (int i = 0; i < n; i++) {
            audit.record("token:admin", AuditAction.TOKEN_CREATED, "token:t" + i, "ok", null);
        }
    }

    private static List<Long> seqs(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    private Position position() {
        return db.store().read(d -> d.auditStreams().positions()).get(0);
    }

    @Test
    void everyEventGoesInSeqOrderInBatchesAndTheCursorFollows() {
        record(10);
        ScriptedSink sink = new ScriptedSink();
        AuditStreamer s = streamer("node-a", sink, 4);
        s.createCursor(false);

        assertThat(s.round()).isEqualTo(AuditStreamer.Outcome.CAUGHT_UP);

        assertThat(sink.batches).containsExactly(seqs(1, 4), seqs(5, 8), seqs(9, 10));
        assertThat(position().seq()).isEqualTo(10);
        assertThat(position().lagEvents()).isZero();
        assertThat(position().oldestUndelivered()).isNull();
        assertThat(delivered.labelValues("siem").get()).isEqualTo(10);
    }

    @Test
    void whileTheReceiverIsAwayNothingMovesAndTheBacklogDrainsWhenItReturns() {
        record(3);
        ScriptedSink sink = new ScriptedSink();
        AuditStreamer s = streamer("node-a", sink, 100);
        s.createCursor(false);
        s.round();

        sink.refuse = 50;
        for (int hour = 0; hour < 50; hour++) {
            record(20);
            clock.advance(Duration.ofMinutes(1));
            assertThat(s.round()).isEqualTo(AuditStreamer.Outcome.FAILED);
        }
        Position behind = position();
        assertThat(behind.seq()).isEqualTo(3);
        assertThat(behind.lagEvents()).isEqualTo(1000);
        assertThat(behind.failures()).isEqualTo(50);
        assertThat(behind.lastError()).isEqualTo("ConnectException: Connection refused");
        assertThat(behind.oldestUndelivered()).isEqualTo(TestClock.at("2026-12-06T00:00:00Z").instant());

        assertThat(s.round()).isEqualTo(AuditStreamer.Outcome.CAUGHT_UP);

        assertThat(sink.received()).isEqualTo(seqs(1, 1003));
        assertThat(position().failures()).isZero();
        assertThat(position().lastError()).isNull();
        assertThat(failures.labelValues("siem").get()).isEqualTo(50);
    }

    @Test
    void aNewStreamerOnTheSameCursorGoesOnWhereTheLastOneStopped() {
        record(5);
        ScriptedSink first = new ScriptedSink();
        AuditStreamer s = streamer("node-a", first, 100);
        s.createCursor(false);
        s.round();
        s.release();
        record(2);

        ScriptedSink second = new ScriptedSink();
        AuditStreamer restarted = streamer("node-a", second, 100);
        restarted.createCursor(false);
        restarted.round();

        assertThat(first.received()).isEqualTo(seqs(1, 5));
        assertThat(second.received()).isEqualTo(seqs(6, 7));
    }

    @Test
    void aStreamStartingNowSkipsTheHistory() {
        record(4);
        ScriptedSink sink = new ScriptedSink();
        AuditStreamer s = streamer("node-a", sink, 100);
        s.createCursor(true);
        record(1);

        s.round();

        assertThat(sink.received()).containsExactly(5L);
    }

    @Test
    void oneNodeHoldsTheStreamUntilItsLeaseLapsesOrItLetsGo() {
        record(2);
        ScriptedSink a = new ScriptedSink();
        ScriptedSink b = new ScriptedSink();
        AuditStreamer onA = streamer("node-a", a, 100);
        AuditStreamer onB = streamer("node-b", b, 100);
        onA.createCursor(false);
        onB.createCursor(false);

        assertThat(onA.round()).isEqualTo(AuditStreamer.Outcome.CAUGHT_UP);
        record(1);
        assertThat(onB.round()).isEqualTo(AuditStreamer.Outcome.NOT_HOLDER);

        clock.advance(LEASE.plusSeconds(1));
        assertThat(onB.round()).isEqualTo(AuditStreamer.Outcome.CAUGHT_UP);
        assertThat(onA.round()).isEqualTo(AuditStreamer.Outcome.NOT_HOLDER);

        onB.release();
        record(1);
        assertThat(onA.round()).isEqualTo(AuditStreamer.Outcome.CAUGHT_UP);

        assertThat(a.received()).containsExactly(1L, 2L, 4L);
        assertThat(b.received()).containsExactly(3L);
    }

    @Test
    void backoffDoublesFromTheIntervalUpToItsCap() {
        Duration second = Duration.ofSeconds(1);
        Duration minute = Duration.ofMinutes(1);
        assertThat(AuditStreams.backoff(second, minute, 0)).isEqualTo(second);
        assertThat(AuditStreams.backoff(second, minute, 1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(AuditStreams.backoff(second, minute, 5)).isEqualTo(Duration.ofSeconds(32));
        assertThat(AuditStreams.backoff(second, minute, 6)).isEqualTo(minute);
        assertThat(AuditStreams.backoff(second, minute, 1000)).isEqualTo(minute);
    }
}
