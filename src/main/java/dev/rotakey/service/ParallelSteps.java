package dev.rotakey.service;

import io.dropwizard.lifecycle.Managed;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A small pool of threads on which a batch runs one step for many credentials at once: issuing from a key backend,
 * delivering to and verifying at targets wait on I/O (an HSM, a disk's fsync, a remote system), not on the CPU.
 */
public final class ParallelSteps implements Managed {
    private final int threads;
    private final String name;
    private ExecutorService pool;

    /** @param threads how many items' steps run at once */
    public ParallelSteps(int threads) {
        this(threads, "rotakey-batch-");
    }

    /** @param name the prefix of its threads' names */
    public ParallelSteps(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        this.threads = threads;
        this.name = name;
    }

    @Override
    public synchronized void start() {
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized void stop() throws InterruptedException {
        if (pool != null) {
            pool.shutdown();
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
            pool = null;
        }
    }

    /** Runs {@code work} on one of the threads; the caller waits for it (or not) through the future. */
    public Future<?> submit(Runnable work) {
        return pool().submit(work);
    }

    private synchronized ExecutorService pool() {
        if (pool == null) {
            throw new IllegalStateException("the batch's threads are not running");
        }
        return pool;
    }

    /**
     * Runs {@code step} for every item and waits for all of them.
     *
     * @return for each item, in order, what its step threw, or null when it succeeded
     */
    public <T> List<RuntimeException> run(List<T> items, Consumer<T> step) {
        return start(items, step).await();
    }

    /** {@link #run} without waiting: the caller goes on, and {@link Running#await}s the steps later. */
    public <T> Running start(List<T> items, Consumer<T> step) {
        ExecutorService p = pool();
        List<Future<?>> futures = new ArrayList<>();
        for (T item : items) {
            futures.add(p.submit(() -> step.accept(item)));
        }
        return new Running(futures);
    }

    /** Steps started by {@link #start}. */
    public static final class Running {
        private final List<Future<?>> futures;

        private Running(List<Future<?>> futures) {
            this.futures = futures;
        }

        /**
         * Waits for every step.
         *
         * @return for each item, in order, what its step threw, or null when it succeeded
         */
        public List<RuntimeException> await() {
            List<RuntimeException> out = new ArrayList<>();
            for (Future<?> f : futures) {
                try {
                    f.get();
                    out.add(null);
                } catch (ExecutionException e) {
                    out.add(e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    futures.forEach(x -> x.cancel(true));
                    throw new IllegalStateException("interrupted while running a batch's steps", e);
                }
            }
            return out;
        }
    }
}
