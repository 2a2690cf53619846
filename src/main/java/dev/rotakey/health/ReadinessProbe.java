package dev.rotakey.health;

import com.codahale.metrics.health.HealthCheck;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Whether this node can serve, for {@code /health/ready}: every readiness check ({@link ReadinessChecks})
 * healthy. Load balancers probe often and from many places, so a result is reused for {@link #CACHE_FOR}, at
 * most one evaluation runs at a time, and a caller waits at most {@link #TIMEOUT} for it (a database that hangs
 * makes the node not ready rather than piling up probe threads and connections).
 */
public final class ReadinessProbe {
    static final Duration CACHE_FOR = Duration.ofSeconds(1);
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final List<HealthCheck> checks;
    private final LongSupplier nanoTime;
    private final long cacheNanos;
    private final long timeoutNanos;
    /** One thread at most, which ends after 10 s without probes. */
    private final ThreadPoolExecutor runner = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
            r -> {
                Thread t = new Thread(r, "readiness-probe");
                t.setDaemon(true);
                return t;
            });

    private Future<Boolean> inFlight;
    private boolean last;
    private long checkedAt;
    private boolean checked;

    public ReadinessProbe(Map<String, HealthCheck> checks) {
        this(checks, System::nanoTime, CACHE_FOR, TIMEOUT);
    }

    /** With an injected time source and limits, for tests. */
    ReadinessProbe(Map<String, HealthCheck> checks, LongSupplier nanoTime, Duration cacheFor, Duration timeout) {
        this.checks = List.copyOf(checks.values());
        this.nanoTime = nanoTime;
        this.cacheNanos = cacheFor.toNanos();
        this.timeoutNanos = timeout.toNanos();
        runner.allowCoreThreadTimeOut(true);
    }

    /** True when every readiness check passed at most {@link #CACHE_FOR} ago. */
    public boolean ready() {
        Future<Boolean> evaluation;
        synchronized (this) {
            if (checked && nanoTime.getAsLong() - checkedAt < cacheNanos) {
                return last;
            }
            // An evaluation still running (a hung database) is waited for again, never doubled.
            if (inFlight == null || inFlight.isDone()) {
                inFlight = runner.submit(this::evaluate);
            }
            evaluation = inFlight;
        }
        boolean result;
        try {
            result = evaluation.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            result = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        synchronized (this) {
            last = result;
            checkedAt = nanoTime.getAsLong();
            checked = true;
        }
        return result;
    }

    private boolean evaluate() {
        for (HealthCheck check : checks) {
            // execute() never throws: a check that throws is unhealthy.
            if (!check.execute().isHealthy()) {
                return false;
            }
        }
        return true;
    }
}
