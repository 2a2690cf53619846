package dev.rotakey.audit.stream;

import dev.rotakey.db.AuditChainHead;
import dev.rotakey.db.AuditDao.Chained;
import dev.rotakey.db.Store;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Delivers one stream's events, at least once and in seq order: it reads the events past the stream's durable cursor
 * in pages, hands each page to the sink, and moves the cursor once the sink has them. A page the sink fails to take
 * is sent again at the next round, however long the receiver stays away: the backlog is the audit table itself. A
 * lease on the cursor's row lets one node of a cluster deliver the stream; another takes over when it lapses.
 */
public final class AuditStreamer {
    private static final Logger LOG = LoggerFactory.getLogger(AuditStreamer.class);

    /** How a round ended. */
    public enum Outcome { CAUGHT_UP, NOT_HOLDER, FAILED, STOPPED }

    private final String name;
    private final AuditStreamSink sink;
    private final Store store;
    private final String holder;
    private final int batchSize;
    private final Duration lease;
    private final Clock clock;
    private final CounterDataPoint delivered;
    private final CounterDataPoint failures;
    private volatile boolean stopping;
    private boolean failing;

    /**
     * @param holder this node's name in the lease
     * @param lease how long a lease lasts without renewal: longer than the longest wait between two rounds
     * @param clock the wall clock: leases are compared across nodes
     */
    public AuditStreamer(String name, AuditStreamSink sink, Store store, String holder, int batchSize, Duration lease,
                         Clock clock, CounterDataPoint delivered, CounterDataPoint failures) {
        this.name = name;
        this.sink = sink;
        this.store = store;
        this.holder = holder;
        this.batchSize = batchSize;
        this.lease = lease;
        this.clock = clock;
        this.delivered = delivered;
        this.failures = failures;
    }

    /** Creates the stream's cursor, unless it exists: at the chain's start, or at its head for {@code fromNow}. */
    public void createCursor(boolean fromNow) {
        store.read(d -> {
            long at = fromNow ? d.audit().head().seq() : 0;
            if (d.auditStreams().createIfAbsent(name, at)) {
                LOG.info("audit stream {} starts after event {}", name, at);
            }
            return null;
        });
    }

    /** Delivers every event committed past the cursor, page by page, unless another node holds the stream. */
    public Outcome round() {
        Instant now = clock.instant();
        // The cursor is read again at each round: another node may have moved it while it held the lease.
        Optional<Long> held = store.read(d -> d.auditStreams().claim(name, holder, now, now.plus(lease))
                ? d.auditStreams().cursor(name) : Optional.empty());
        if (held.isEmpty()) {
            return Outcome.NOT_HOLDER;
        }
        long cursor = held.get();
        while (!stopping) {
            long from = cursor;
            List<Chained> page = store.read(d -> {
                AuditChainHead head = d.audit().head();
                return d.audit().chained(from, head.seq(), batchSize);
            });
            if (page.isEmpty()) {
                recovered();
                return Outcome.CAUGHT_UP;
            }
            if (page.get(0).seq() != from + 1) {
                LOG.error("audit stream {}: events {} to {} are missing from the audit table (GET /api/v1/audit/verify "
                        + "tells what happened); delivering from {}", name, from + 1, page.get(0).seq() - 1, page.get(0).seq());
            }
            try {
                sink.deliver(page);
            } catch (IOException | RuntimeException e) {
                failed(from, e);
                return Outcome.FAILED;
            }
            long to = page.get(page.size() - 1).seq();
            Instant at = clock.instant();
            if (!store.read(d -> d.auditStreams().advance(name, holder, from, to, at, at.plus(lease)))) {
                LOG.info("audit stream {}: another node took it over after event {}", name, from);
                return Outcome.NOT_HOLDER;
            }
            delivered.inc(page.size());
            cursor = to;
        }
        return Outcome.STOPPED;
    }

    /** Ends the round under way after its current page. */
    public void stopping() {
        stopping = true;
    }

    /** Gives up the lease, so that another node may take the stream at once, and closes the sink. */
    public void release() {
        try {
            store.read(d -> {
                d.auditStreams().release(name, holder);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("audit stream {}: lease not released ({}); it lapses by itself", name, e.toString());
        } finally {
            sink.close();
        }
    }

    public String name() {
        return name;
    }

    private void failed(long cursor, Exception e) {
        failures.inc();
        // The exception's type and message only: an I/O error names an address or a status, never an event.
        String problem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        if (!failing) {
            LOG.warn("audit stream {} ({}) cannot deliver the events after {}: {}; they stay queued and are sent "
                    + "again until the receiver takes them", name, sink, cursor, problem);
        } else {
            LOG.debug("audit stream {} still failing: {}", name, problem);
        }
        failing = true;
        try {
            store.read(d -> {
                d.auditStreams().failed(name, holder, problem);
                return null;
            });
        } catch (RuntimeException dbDown) {
            LOG.debug("audit stream {}: failure not recorded: {}", name, dbDown.toString());
        }
    }

    private void recovered() {
        if (failing) {
            LOG.info("audit stream {} ({}) delivers again and has caught up", name, sink);
            failing = false;
        }
    }
}
