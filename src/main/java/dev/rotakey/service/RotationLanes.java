package dev.rotakey.service;

import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that carry started chunks of rotations through their steps ({@link BatchedRotations}), each lane one
 * chunk after another with two in flight: while one chunk's material is delivered and verified, the lane makes the
 * next one's, then commits the promotions of the first while the second's deliveries run. A batch's chunks keep to one
 * lane, so that they overlap; other batches take other lanes, so that a chunk stuck at a slow target holds up its own
 * batch only. A lane holding a chunk's credential locks never waits for more: when the next chunk's are taken, it ends
 * the chunk in flight first.
 */
final class RotationLanes implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(RotationLanes.class);
    /** Chunks a lane holds waiting; a batch that gets ahead waits to hand over more. */
    static final int QUEUE = 10;
    private static final Duration STOP_WAIT = Duration.ofSeconds(20);

    private final ChunkSteps steps;
    private final int count;
    private List<Lane> lanes = List.of();
    private volatile boolean stopping;

    RotationLanes(ChunkSteps steps, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("at least one lane is needed");
        }
        this.steps = steps;
        this.count = count;
    }

    /** One lane: its queue, its thread, and the batch it last took a chunk of. */
    private final class Lane {
        final BlockingQueue<RotationChunk> queue = new ArrayBlockingQueue<>(QUEUE);
        /** Chunks queued or in flight here. */
        final AtomicInteger load = new AtomicInteger();
        volatile String lastKey;
        Thread thread;

        void run() {
            RotationChunk delivering = null;
            long stopBy = Long.MAX_VALUE;
            while (true) {
                RotationChunk next;
                try {
                    next = delivering == null ? queue.poll(200, TimeUnit.MILLISECONDS) : queue.poll();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    next = null;
                    stopBy = 0;
                }
                if (stopping && stopBy == Long.MAX_VALUE) {
                    stopBy = System.nanoTime() + STOP_WAIT.toNanos();
                }
                if (next != null && System.nanoTime() > stopBy) {
                    // Started and durable: left to the next start, which resumes rotations in flight.
                    LOG.warn("{} rotation(s) left for the next start: the lane is stopping", next.size());
                    steps.abandon(next);
                    load.decrementAndGet();
                    continue;
                }
                if (next == null) {
                    if (delivering != null) {
                        end(delivering);
                        delivering = null;
                    } else if (stopping && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                try {
                    if (delivering != null && !steps.tryLock(next)) {
                        end(delivering);
                        delivering = null;
                    }
                    steps.begin(next);
                    if (delivering != null) {
                        steps.awaitDeliveries(delivering);
                    }
                    steps.deliver(next);
                    if (delivering != null) {
                        steps.finish(delivering);
                        load.decrementAndGet();
                    }
                } catch (RuntimeException e) {
                    // The steps record their own failures; this is a defect, and the lane must go on regardless.
                    LOG.error("a rotation lane failed: {}", e.toString(), e);
                }
                delivering = next;
            }
        }

        private void end(RotationChunk c) {
            try {
                steps.awaitDeliveries(c);
                steps.finish(c);
            } catch (RuntimeException e) {
                LOG.error("a rotation lane failed: {}", e.toString(), e);
            } finally {
                load.decrementAndGet();
            }
        }
    }

    @Override
    public synchronized void start() {
        stopping = false;
        List<Lane> started = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Lane lane = new Lane();
            lane.thread = new Thread(lane::run, "rotakey-lane-" + (i + 1));
            lane.thread.setDaemon(true);
            lane.thread.start();
            started.add(lane);
        }
        lanes = List.copyOf(started);
    }

    /**
     * Hands a started chunk to a lane: the one that took the same batch's last chunk while it is still at work,
     * else the least busy. Waits while that lane's queue is full.
     *
     * @param key the batch the chunk belongs to
     * @throws IllegalStateException when the lanes are stopping or stopped: the chunk's rotations are then left for
     *                               the next start
     */
    void submit(String key, RotationChunk chunk) {
        Lane lane;
        synchronized (this) {
            if (stopping || lanes.isEmpty()) {
                throw new IllegalStateException("the rotation lanes are stopped");
            }
            lane = lanes.stream().filter(l -> key.equals(l.lastKey) && l.load.get() > 0).findFirst()
                    .orElseGet(() -> lanes.stream().min(Comparator.comparingInt(l -> l.load.get())).orElseThrow());
            lane.lastKey = key;
            lane.load.incrementAndGet();
        }
        try {
            lane.queue.put(chunk);
        } catch (InterruptedException e) {
            lane.load.decrementAndGet();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while handing rotations to a lane", e);
        }
    }

    /** Lets every lane finish what it holds (for {@link #STOP_WAIT} at most), then stops them. */
    @Override
    public void stop() throws InterruptedException {
        List<Lane> running;
        synchronized (this) {
            stopping = true;
            running = lanes;
            lanes = List.of();
        }
        for (Lane lane : running) {
            lane.thread.join(STOP_WAIT.toMillis() + 10_000);
        }
    }
}
