package dev.rotakey.cluster;

import dev.rotakey.db.AdvisoryLocks;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serialises the start-ups of a cluster's nodes: {@link #begin()} and {@link #end()} are placed around the
 * managed objects that create things once per cluster (the key backends' keys, the CAs, the bootstrap token), so
 * that two nodes started together never both create them. A single node needs no such lock.
 */
public final class StartupSequence {
    private static final Logger LOG = LoggerFactory.getLogger(StartupSequence.class);

    private final ClusterLocks locks;
    private AdvisoryLocks.Lock held;

    /** @param locks the cluster's locks, or null for a single node */
    public StartupSequence(ClusterLocks locks) {
        this.locks = locks;
    }

    /** Takes the start-up lock when started. */
    public Managed begin() {
        return new Managed() {
            @Override
            public void start() {
                acquire();
            }

            @Override
            public void stop() {
                release();
            }
        };
    }

    /** Gives the start-up lock back when started. */
    public Managed end() {
        return new Managed() {
            @Override
            public void start() {
                release();
            }
        };
    }

    private synchronized void acquire() {
        if (locks != null && held == null) {
            long started = System.nanoTime();
            held = locks.startup();
            long waitedMs = (System.nanoTime() - started) / 1_000_000;
            if (waitedMs > 100) {
                LOG.info("waited {} ms for another node of the cluster to finish starting", waitedMs);
            }
        }
    }

    private synchronized void release() {
        if (held != null) {
            held.close();
            held = null;
        }
    }
}
