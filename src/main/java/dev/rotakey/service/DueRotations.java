package dev.rotakey.service;

import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Scheduled rotations that fall due together, started and run together: the scheduler's workers hand each due
 * credential here and go on to the next trigger, and one thread takes whatever has come, up to a chunk, through
 * {@link BatchedRotations} (one transaction per step for the chunk). On a single node it fills the chunk with other
 * credentials the database says are due, whose triggers it drops together instead of letting Quartz fire them one at
 * a time (several commits each). A rotation due alone starts at once, alone.
 * Nothing is lost with the queue: a credential waiting here is still due in the database, which every start and the
 * horizon's sweep (on a cluster, the cluster's sweep) turn into a trigger again, and one still waiting when the node
 * stops gets its trigger back at once.
 */
public final class DueRotations implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(DueRotations.class);
    static final String ACTOR = "scheduler";
    /** The key that keeps scheduled chunks to one lane ({@link RotationLanes}), apart from operators' batches. */
    private static final String LANE_KEY = "scheduled";

    private final Store store;
    private final RotationService rotations;
    private final BatchedRotations together;
    private final WorkScheduler scheduler;
    private final Clock clock;
    private final int capacity;
    private final boolean pull;
    private final BooleanSupplier paused;
    /** Guarded by {@code this}; a credential offered twice (its trigger re-created by a sweep) waits once. */
    private final LinkedHashSet<String> waiting = new LinkedHashSet<>();
    private boolean accepting;
    private Thread thread;

    /**
     * @param capacity credentials waiting at most: beyond it the scheduler's workers wait, so that Quartz fires no
     *                 faster than they start (on a cluster, so that the nodes share what is due)
     * @param pull     whether to fill chunks from the database (a single node's: on a cluster, the nodes share what
     *                 is due through Quartz)
     * @param paused   whether scheduled work is held (the kill switch, or not known): nothing is pulled then
     */
    public DueRotations(Store store, RotationService rotations, BatchedRotations together, WorkScheduler scheduler,
                        Clock clock, int capacity, boolean pull, BooleanSupplier paused) {
        this.capacity = capacity;
        this.pull = pull;
        this.paused = paused;
        this.store = store;
        this.rotations = rotations;
        this.together = together;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /**
     * Takes a credential the scheduler found due, waiting while {@code capacity} others wait.
     *
     * @return false when not taking any now (not started, or stopping): the caller rotates it itself
     */
    public boolean offer(String credentialId) {
        synchronized (this) {
            try {
                while (accepting && waiting.size() >= capacity && !waiting.contains(credentialId)) {
                    wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (!accepting) {
                return false;
            }
            waiting.add(credentialId);
            notifyAll();
            return true;
        }
    }

    @Override
    public synchronized void start() {
        accepting = true;
        thread = new Thread(this::run, "rotakey-due-rotations");
        thread.setDaemon(true);
        thread.start();
    }

    /** Ends the chunk being started, then gives every credential still waiting its trigger back, due now. */
    @Override
    public void stop() throws InterruptedException {
        Thread running;
        synchronized (this) {
            accepting = false;
            notifyAll();
            running = thread;
            thread = null;
        }
        if (running != null) {
            running.join();
        }
        Map<String, Instant> left = new LinkedHashMap<>();
        synchronized (this) {
            Instant now = clock.instant();
            waiting.forEach(id -> left.put(id, now));
            waiting.clear();
        }
        if (!left.isEmpty()) {
            LOG.info("{} due rotation(s) handed back to the scheduler: the node is stopping", left.size());
            try {
                scheduler.rotateAllAt(left);
            } catch (RuntimeException e) {
                // Still due in the database: the next start (on a cluster, another node's sweep) schedules them.
                LOG.warn("due rotations left for the next start: {}", FailureClassifier.describe(e));
            }
        }
    }

    private void run() {
        while (true) {
            List<String> ids = new ArrayList<>();
            synchronized (this) {
                try {
                    while (accepting && waiting.isEmpty()) {
                        wait();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (!accepting) {
                    return;
                }
                for (Iterator<String> it = waiting.iterator(); it.hasNext() && ids.size() < BatchedRotations.CHUNK; ) {
                    ids.add(it.next());
                    it.remove();
                }
                notifyAll();
            }
            try {
                rotate(withOthersDue(ids));
            } catch (RuntimeException e) {
                // Still due in the database: the horizon's sweep schedules them again.
                LOG.error("{} due rotation(s) could not start: {}", ids.size(), FailureClassifier.describe(e), e);
            }
        }
    }

    /**
     * {@code ids} and, up to a chunk, other credentials due now, their triggers dropped first: one started by the
     * chunk sets its next rotation when it ends, and one the chunk cannot start gets its trigger back as the chunk's
     * outcomes say (or, should this node die first, from the database at its next start).
     */
    private List<String> withOthersDue(List<String> ids) {
        if (!pull || ids.size() >= BatchedRotations.CHUNK || paused.getAsBoolean()) {
            return ids;
        }
        Set<String> chunk = new LinkedHashSet<>(ids);
        List<String> others = new ArrayList<>();
        for (String id : store.read(d -> d.schedules().rotationsDue(clock.instant(), 2 * BatchedRotations.CHUNK))) {
            if (chunk.size() + others.size() >= BatchedRotations.CHUNK) {
                break;
            }
            if (!chunk.contains(id) && !waiting(id)) {
                others.add(id);
            }
        }
        if (others.isEmpty()) {
            return ids;
        }
        scheduler.forgetAll(others);
        chunk.addAll(others);
        return List.copyOf(chunk);
    }

    private synchronized boolean waiting(String id) {
        return waiting.contains(id);
    }

    /** Starts the chunk's rotations together; what cannot start with them is handled as its own trigger would be. */
    void rotate(List<String> ids) {
        Instant now = clock.instant();
        for (BatchedRotations.Outcome o : together.rotateDue(ids, now.plusSeconds(1), LANE_KEY)) {
            String id = o.credentialId();
            switch (o.kind()) {
                case STARTED -> {
                }
                case ALREADY_ROTATING -> scheduler.continueRotationAt(o.rotation().id(), now);
                case NOT_FOUND, DECOMMISSIONED -> scheduler.forgetCredential(id);
                // An operator's rotation moved the schedule since the trigger was made: the database decides.
                case NOT_DUE -> store.read(d -> d.credentials().find(id))
                        .filter(c -> c.nextRotationAt() != null)
                        .ifPresent(c -> scheduler.rotateAt(id, c.nextRotationAt()));
                case ALONE -> alone(id);
                case FAILED -> LOG.warn("scheduled rotation of {} not started: {}", id, o.detail());
            }
        }
    }

    /** A credential that needs the executor's recovery first starts on its own, in the scheduler's workers. */
    private void alone(String credentialId) {
        try {
            rotations.startAsync(credentialId, RotationTrigger.SCHEDULE, ACTOR, false);
        } catch (RejectedException e) {
            LOG.info("scheduled rotation of {} not started: {}", credentialId, e.getMessage());
        }
    }
}
