package dev.rotakey.schedule;

import org.quartz.Trigger;
import org.quartz.TriggerKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Stores, on a thread of its own and up to a thousand per Quartz transaction, the triggers of work the database
 * already holds: a rotated credential's next rotation, its previous version's revocation at the end of the grace
 * period. A rotation then ends without waiting for them (their stores had cost it as much as its own steps). Nothing
 * is lost with the queue: reconciliation re-creates from the database every such trigger Quartz lacks, at start-up and,
 * on a cluster, every minute on every node. Of two triggers asked for one key, the later wins.
 */
final class TriggersBehind {
    private static final Logger LOG = LoggerFactory.getLogger(TriggersBehind.class);
    static final int BATCH = 1_000;

    private final Consumer<List<Trigger>> store;
    private final LinkedHashMap<TriggerKey, Trigger> pending = new LinkedHashMap<>();
    private boolean storing;
    private Thread thread;
    private volatile boolean stopping;

    /** @param store stores triggers in one transaction, replacing any with the same key */
    TriggersBehind(Consumer<List<Trigger>> store) {
        this.store = store;
    }

    synchronized void add(Trigger trigger) {
        pending.remove(trigger.getKey());
        pending.put(trigger.getKey(), trigger);
        notifyAll();
    }

    /** Drops a trigger not stored yet (a credential decommissioned before its next rotation was stored). */
    synchronized void cancel(TriggerKey key) {
        pending.remove(key);
    }

    /** Triggers asked for and not yet stored, the batch being stored counted as one (for tests). */
    synchronized int pending() {
        return pending.size() + (storing ? 1 : 0);
    }

    synchronized void start() {
        stopping = false;
        thread = new Thread(this::run, "rotakey-triggers");
        thread.setDaemon(true);
        thread.start();
    }

    /** Stores what is pending, then stops; what cannot be stored is left to the next reconciliation. */
    void stop() throws InterruptedException {
        Thread t;
        synchronized (this) {
            stopping = true;
            t = thread;
            thread = null;
            notifyAll();
        }
        if (t != null) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    private void run() {
        while (true) {
            List<Trigger> batch = next();
            if (batch == null) {
                return;
            }
            try {
                store.accept(batch);
            } catch (RuntimeException e) {
                LOG.warn("could not store {} trigger(s) of scheduled work; reconciliation re-creates them from the "
                        + "database: {}", batch.size(), e.toString());
            } finally {
                synchronized (this) {
                    storing = false;
                    notifyAll();
                }
            }
        }
    }

    /** The next batch, once there is one; null once stopping with nothing left. */
    private synchronized List<Trigger> next() {
        while (pending.isEmpty()) {
            if (stopping) {
                return null;
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        List<Trigger> batch = new ArrayList<>(Math.min(BATCH, pending.size()));
        Iterator<Map.Entry<TriggerKey, Trigger>> it = pending.entrySet().iterator();
        while (it.hasNext() && batch.size() < BATCH) {
            batch.add(it.next().getValue());
            it.remove();
        }
        storing = true;
        return batch;
    }
}
