package dev.rotakey.schedule;

import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Background upkeep outside Quartz (CRL renewal, the cluster's sweep): {@code work} runs on a daemon thread of its own
 * every {@code delay} while the application runs. A run that throws is logged and the next one still comes.
 */
public final class FixedDelayWork implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(FixedDelayWork.class);

    private final String name;
    private final Duration initialDelay;
    private final Duration delay;
    private final Runnable work;
    private ScheduledExecutorService executor;

    /** @param name the thread's name and what failures are logged as */
    public FixedDelayWork(String name, Duration delay, Runnable work) {
        this(name, delay, delay, work);
    }

    /** @param initialDelay how long after start the first run comes (the others {@code delay} after the last ended) */
    public FixedDelayWork(String name, Duration initialDelay, Duration delay, Runnable work) {
        this.name = name;
        this.initialDelay = initialDelay;
        this.delay = delay;
        this.work = work;
    }

    @Override
    public synchronized void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        // An exception escaping a run would silently end the schedule.
        executor.scheduleWithFixedDelay(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                LOG.warn("{} failed: {}", name, e.toString(), e);
            }
        }, initialDelay.toMillis(), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() throws InterruptedException {
        if (executor != null) {
            executor.shutdownNow();
            executor.awaitTermination(10, TimeUnit.SECONDS);
            executor = null;
        }
    }
}
