package dev.rotakey.usage;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.db.Store;
import io.dropwizard.lifecycle.Managed;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The usage telemetry: counts every use of a credential in memory ({@link UsageCounters}) on the request's thread, and
 * every {@code flushEvery}, and at stop, writes the counts, learns services and networks, records the anomalies found
 * and prunes what is older than {@code retain}. A crash loses at most the counts of one flush interval.
 */
public final class UsageTelemetry implements UsageRecorder, Managed {
    private static final Logger LOG = LoggerFactory.getLogger(UsageTelemetry.class);
    /** The longest relying-service name kept (the column's width). */
    private static final int MAX_SERVICE = 128;
    /** Rows deleted per statement, and statements per flush, when pruning: bounded work whatever the backlog. */
    private static final int PRUNE_BATCH = 1_000;
    private static final int PRUNE_BATCHES = 10;

    private final UsageFactory config;
    private final Store store;
    private final Clock clock;
    private final UsageCounters counters;
    private final AnomalyDetector detector;
    private final UsageFlush flush;
    private final UsageMetrics metrics;
    private final Runnable anomaliesRecorded;
    private ScheduledExecutorService timer;

    /**
     * @param anomaliesRecorded told after a flush that recorded anomalies committed: the alert evaluator looks at once,
     *                          and the SIEM streams send the audit events
     */
    public UsageTelemetry(UsageFactory config, Store store, AuditLog audit, Clock clock, PrometheusRegistry registry,
                          Runnable anomaliesRecorded) {
        this.config = config;
        this.store = store;
        this.clock = clock;
        this.counters = new UsageCounters(config.getMaxKeysInMemory());
        this.detector = new AnomalyDetector(config);
        this.flush = new UsageFlush(config, detector, audit);
        this.metrics = new UsageMetrics(registry, counters);
        this.anomaliesRecorded = anomaliesRecorded;
    }

    @Override
    public void used(CredentialUse use) {
        if (use == null || use.credentialId() == null || use.at() == null) {
            return;
        }
        String service = use.relyingService() == null || use.relyingService().isEmpty() ? "(unknown)"
                : use.relyingService().length() > MAX_SERVICE ? use.relyingService().substring(0, MAX_SERVICE)
                : use.relyingService();
        String address = use.sourceAddress();
        String network = SourceNetworks.network(address);
        // The literal as the container gave it: parsed already, so only a zone or an overlong one needs work.
        String source = SourceNetworks.UNKNOWN.equals(network) ? SourceNetworks.UNKNOWN
                : address.length() <= SourceNetworks.MAX_LITERAL && address.indexOf('%') < 0 ? address
                : SourceNetworks.literal(address);
        counters.add(use, Math.floorDiv(use.at().getEpochSecond(), 3600), service, network, source,
                detector.previousLate(use));
    }

    /**
     * Writes what was counted since the last flush, records the anomalies found and prunes old rows. Called by the
     * timer, at stop, and by tests; one at a time.
     *
     * @return the anomalies recorded
     */
    public synchronized List<Anomaly> flush() {
        Map<UsageCounters.Key, UsageCounters.Counts> drained = counters.drain();
        Instant now = clock.instant();
        List<Anomaly> recorded = List.of();
        if (!drained.isEmpty()) {
            long started = System.nanoTime();
            long uses = drained.values().stream().mapToLong(UsageCounters.Counts::uses).sum();
            try {
                recorded = store.txUncached(d -> flush.write(d, drained, now));
            } catch (RuntimeException e) {
                // The next flush starts afresh: keeping these counts would let a lasting outage fill the memory.
                metrics.failed();
                LOG.warn("usage telemetry: writing {} counter(s) failed, their {} use(s) are lost: {}", drained.size(),
                        uses, e.toString());
                return List.of();
            }
            metrics.flushed(uses, (System.nanoTime() - started) / 1e9);
            recorded.forEach(a -> metrics.anomaly(a.kind()));
            if (!recorded.isEmpty()) {
                anomaliesRecorded.run();
            }
        }
        prune(now);
        return recorded;
    }

    /** Deletes hourly rows and anomalies older than {@code retain}, a bounded number of rows per call. */
    private void prune(Instant now) {
        Instant before = now.minus(config.getRetain());
        try {
            for (int i = 0; i < PRUNE_BATCHES; i++) {
                int deleted = store.txUncached(d -> d.usage().pruneHourly(before, PRUNE_BATCH)
                        + d.usage().pruneAnomalies(before, PRUNE_BATCH));
                if (deleted < PRUNE_BATCH) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("usage telemetry: pruning rows older than {} failed: {}", before, e.toString());
        }
    }

    /** Distinct counters waiting for the next flush. */
    public int pending() {
        return counters.size();
    }

    @Override
    public void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "usage-flusher");
            t.setDaemon(true);
            return t;
        });
        long period = config.getFlushEvery().toMillis();
        timer.scheduleWithFixedDelay(this::flushQuietly, period, period, TimeUnit.MILLISECONDS);
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            // A flush that throws must not end the timer; the next one tries again.
            LOG.warn("usage telemetry flush failed: {}", e.toString(), e);
        }
    }

    @Override
    public void stop() throws InterruptedException {
        if (timer != null) {
            // No interrupt: an embedded H2 closes the whole database when a thread is interrupted in its file I/O.
            timer.shutdown();
            timer.awaitTermination(30, TimeUnit.SECONDS);
        }
        // The last counts, before the database closes.
        flushQuietly();
    }
}
