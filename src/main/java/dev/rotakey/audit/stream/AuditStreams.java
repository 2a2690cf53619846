package dev.rotakey.audit.stream;

import dev.rotakey.db.AuditStreamDao.Position;
import dev.rotakey.db.Store;
import io.dropwizard.lifecycle.Managed;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The SIEM export ({@code audit.streams}): one thread per stream runs its {@link AuditStreamer} every
 * {@code interval}, or at once when this node commits an event, and backs off exponentially up to
 * {@code maxBackoff} while the receiver fails. Publishes each stream's lag (events and seconds behind the chain's
 * head) for Prometheus and for Rotakey's own alert.
 */
public final class AuditStreams implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(AuditStreams.class);
    private static final Duration POSITIONS_FOR = Duration.ofSeconds(5);

    private final List<Stream> streams = new ArrayList<>();
    /** The configured streams' names: a cursor of a stream no longer configured is not reported. */
    private final Set<String> names = new HashSet<>();
    private final Store store;
    private final Clock clock;
    private List<Position> positions = List.of();
    private Instant positionsAt;

    /**
     * @param holder this node's name in the streams' leases
     * @param clock the clock of the audit events' times, against which lag is measured
     */
    public AuditStreams(List<AuditStreamFactory> configured, Store store, String holder, Clock clock,
                        PrometheusRegistry registry) {
        this.store = store;
        this.clock = clock;
        Counter delivered = Counter.builder().name("rotakey_audit_stream_events_total")
                .help("Audit events this node delivered to each SIEM stream").labelNames("stream").register(registry);
        Counter failed = Counter.builder().name("rotakey_audit_stream_failures_total")
                .help("Deliveries to each SIEM stream that failed on this node (sent again later)")
                .labelNames("stream").register(registry);
        for (AuditStreamFactory f : configured) {
            Duration lease = f.getMaxBackoff().plus(f.getInterval()).plusSeconds(30);
            AuditStreamer streamer = new AuditStreamer(f.getName(), f.build(), store, holder, f.getBatchSize(), lease,
                    Clock.systemUTC(), delivered.labelValues(f.getName()), failed.labelValues(f.getName()));
            streams.add(new Stream(f, streamer));
            names.add(f.getName());
        }
        GaugeWithCallback.builder().name("rotakey_audit_stream_lag_events")
                .help("Audit events committed and not yet delivered to each SIEM stream").labelNames("stream")
                .callback(cb -> configuredPositions().forEach(p -> cb.call(p.lagEvents(), p.name())))
                .register(registry);
        GaugeWithCallback.builder().name("rotakey_audit_stream_lag_seconds")
                .help("Age of the oldest audit event not yet delivered to each SIEM stream (0 when none)")
                .labelNames("stream")
                .callback(cb -> configuredPositions().forEach(p -> cb.call(lagSeconds(p), p.name())))
                .register(registry);
    }

    /** The lag alert's threshold of each configured stream, by name. */
    public Map<String, Duration> lagAlertAfter() {
        Map<String, Duration> out = new LinkedHashMap<>();
        streams.forEach(s -> out.put(s.config.getName(), s.config.getLagAlertAfter()));
        return out;
    }

    /** Wakes every stream now: this node just committed events. */
    public void nudge() {
        for (Stream s : streams) {
            s.wake.offer(Boolean.TRUE);
        }
    }

    @Override
    public void start() {
        for (Stream s : streams) {
            s.start();
        }
    }

    @Override
    public void stop() throws InterruptedException {
        for (Stream s : streams) {
            s.stop();
        }
    }

    private double lagSeconds(Position p) {
        if (p.oldestUndelivered() == null) {
            return 0;
        }
        return Math.max(0, Duration.between(p.oldestUndelivered(), clock.instant()).toMillis() / 1000.0);
    }

    /** The configured streams' positions, read at most once per few seconds however often they are scraped. */
    private synchronized List<Position> configuredPositions() {
        Instant now = Clock.systemUTC().instant();
        if (positionsAt == null || now.isAfter(positionsAt.plus(POSITIONS_FOR))) {
            positionsAt = now;
            try {
                positions = store.read(d -> d.auditStreams().positions()).stream()
                        .filter(p -> names.contains(p.name())).toList();
            } catch (RuntimeException e) {
                LOG.warn("audit stream lag not read: {}", e.toString());
            }
        }
        return positions;
    }

    /** How long to wait after {@code failures} consecutive failed rounds: doubling from the interval up to the cap. */
    static Duration backoff(Duration interval, Duration max, int failures) {
        if (failures <= 0) {
            return interval;
        }
        Duration d = interval;
        for (int i = 0; i < failures && d.compareTo(max) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(max) > 0 ? max : d;
    }

    /** One configured stream and its thread. */
    private static final class Stream implements Runnable {
        final AuditStreamFactory config;
        final AuditStreamer streamer;
        final BlockingQueue<Boolean> wake = new ArrayBlockingQueue<>(1);
        private volatile boolean running;
        private Thread thread;

        Stream(AuditStreamFactory config, AuditStreamer streamer) {
            this.config = config;
            this.streamer = streamer;
        }

        void start() {
            running = true;
            thread = new Thread(this, "audit-stream-" + config.getName());
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void run() {
            int failures = 0;
            boolean created = false;
            while (running) {
                AuditStreamer.Outcome outcome;
                try {
                    if (!created) {
                        streamer.createCursor(config.getStartAt() == AuditStreamFactory.StartAt.NOW);
                        created = true;
                    }
                    outcome = streamer.round();
                } catch (RuntimeException e) {
                    // The database, most likely: the stream waits like after a failed delivery.
                    LOG.warn("audit stream {}: round failed: {}", config.getName(), e.toString());
                    outcome = AuditStreamer.Outcome.FAILED;
                }
                failures = outcome == AuditStreamer.Outcome.FAILED ? failures + 1 : 0;
                try {
                    pause(backoff(config.getInterval(), config.getMaxBackoff(), failures), failures == 0);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Waits {@code d}; a nudge ends the wait early only when the stream is not backing off. */
        private void pause(Duration d, boolean nudgeable) throws InterruptedException {
            long deadline = System.nanoTime() + d.toNanos();
            for (long left = d.toNanos(); left > 0 && running; left = deadline - System.nanoTime()) {
                Boolean nudged = wake.poll(left, TimeUnit.NANOSECONDS);
                if (nudged != null && nudgeable) {
                    return;
                }
            }
        }

        void stop() throws InterruptedException {
            running = false;
            streamer.stopping();
            // Woken, not interrupted: an interrupt in the middle of a database call would break its connection.
            wake.offer(Boolean.TRUE);
            if (thread != null) {
                thread.join(TimeUnit.SECONDS.toMillis(15));
            }
            streamer.release();
        }
    }
}
