package dev.rotakey.targets;

import dev.rotakey.metrics.TargetLimitMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@link LimitedTarget}: concurrency with real threads, rate spacing and maxWait against a fake time source. */
class LimitedTargetTest {
    private static final long MS = 1_000_000L;

    private final PrometheusRegistry prometheus = new PrometheusRegistry();
    private final TargetLimitMetrics metrics = new TargetLimitMetrics(prometheus);
    private final ExecutorService pool = Executors.newFixedThreadPool(16);

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Time that moves only when a wait is made (or never, with {@code advanceOnSleep} off), recording each sleep. */
    static final class FakeWaiting implements LimitedTarget.Waiting {
        volatile long now;
        final boolean advanceOnSleep;
        final List<Long> sleeps = new ArrayList<>();

        FakeWaiting(boolean advanceOnSleep) {
            this.advanceOnSleep = advanceOnSleep;
        }

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleepNanos(long nanos) {
            sleeps.add(nanos);
            if (advanceOnSleep) {
                now += nanos;
            }
        }

        @Override
        public boolean acquire(Semaphore permits, long timeoutNanos) throws InterruptedException {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (permits.tryAcquire()) {
                return true;
            }
            now += timeoutNanos;
            return false;
        }
    }

    /** A target whose every I/O operation runs {@code hook}. */
    static final class HookTarget implements Target {
        final Consumer<String> hook;

        HookTarget(Consumer<String> hook) {
            this.hook = hook;
        }

        @Override
        public String name() {
            return "db-1";
        }

        @Override
        public String type() {
            return "test";
        }

        @Override
        public void validateBinding(TargetBinding binding) {
            hook.accept("validateBinding");
        }

        @Override
        public void deliver(Delivery delivery) {
            hook.accept("deliver");
        }

        @Override
        public void verify(Delivery delivery) {
            hook.accept("verify");
        }

        @Override
        public void revoke(Revocation revocation) {
            hook.accept("revoke");
        }

        @Override
        public void discard(Revocation revocation) {
            hook.accept("discard");
        }
    }

    private LimitedTarget limited(Target delegate, int concurrency, int perSecond, Duration maxWait,
                                  LimitedTarget.Waiting waiting) {
        return new LimitedTarget(delegate, concurrency, perSecond, maxWait, waiting, metrics);
    }

    @Test
    void neverRunsMoreThanTheConcurrencyLimitAndQueuesTheRest() throws Exception {
        AtomicInteger active = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        CountDownLatch gate = new CountDownLatch(1);
        LimitedTarget target = limited(new HookTarget(op -> {
            peak.accumulateAndGet(active.incrementAndGet(), Math::max);
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            active.decrementAndGet();
            done.incrementAndGet();
        }), 3, 0, Duration.ofMinutes(5), LimitedTarget.Waiting.SYSTEM);

        List<Future<?>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int n = i;
            calls.add(pool.submit(() -> {
                switch (n % 4) {
                    case 0 -> target.deliver(null);
                    case 1 -> target.verify(null);
                    case 2 -> target.revoke(null);
                    default -> target.discard(null);
                }
            }));
        }
        // 16 pool threads: 3 inside the target, the other 13 queued at it, the rest not yet started.
        await("3 running and 13 queued").atMost(Duration.ofSeconds(10))
                .until(() -> active.get() == 3 && target.queued() == 13);
        assertThat(queued(prometheus, "db-1")).isEqualTo(13);
        gate.countDown();
        for (Future<?> f : calls) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertThat(done).hasValue(40);
        assertThat(peak).hasValue(3);
        assertThat(target.queued()).isZero();
        assertThat(waits(prometheus, "db-1")).isEqualTo(40);
        assertThat(queued(prometheus, "db-1")).isZero();
    }

    @Test
    void perSecondSpacesStartsEvenlyAndBanksNoIdleTime() {
        FakeWaiting time = new FakeWaiting(true);
        List<Long> starts = new ArrayList<>();
        LimitedTarget target = limited(new HookTarget(op -> starts.add(time.now)), 0, 4, Duration.ofMinutes(5), time);

        target.deliver(null);
        target.verify(null);
        target.deliver(null);
        time.now += 2_000 * MS;
        target.revoke(null);
        target.discard(null);

        assertThat(starts).containsExactly(0L, 250 * MS, 500 * MS, 2_500 * MS, 2_750 * MS);
        assertThat(time.sleeps).containsExactly(250 * MS, 250 * MS, 250 * MS);
    }

    @Test
    void aRateQueueLongerThanMaxWaitFailsRetryablyWithoutTakingASlot() {
        // Sleeps do not move this clock, so each call reserves the slot after the previous one's.
        FakeWaiting time = new FakeWaiting(false);
        AtomicInteger calls = new AtomicInteger();
        LimitedTarget target = limited(new HookTarget(op -> calls.incrementAndGet()), 0, 1,
                Duration.ofMillis(1_500), time);

        target.deliver(null);
        target.deliver(null);
        assertThatThrownBy(() -> target.deliver(null))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessageContaining("target 'db-1' busy");
        assertThat(time.sleeps).containsExactly(1_000 * MS);
        assertThat(calls).hasValue(2);

        // The refused call reserved nothing: once time has moved on, the next slot is the one after the last.
        time.now = 1_000 * MS;
        target.deliver(null);
        assertThat(time.sleeps).containsExactly(1_000 * MS, 1_000 * MS);
    }

    @Test
    void waitingLongerThanMaxWaitForAPermitFailsRetryablyNamingTheTarget() throws Exception {
        FakeWaiting time = new FakeWaiting(true);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch gate = new CountDownLatch(1);
        LimitedTarget target = limited(new HookTarget(op -> {
            if (op.equals("deliver")) {
                inside.countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        }), 1, 0, Duration.ofSeconds(30), time);

        Future<?> holder = pool.submit(() -> target.deliver(null));
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> target.verify(null))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessage("target 'db-1' busy: could not verify within PT30S (all 1 operation slots stayed in use)");
        assertThat(time.now).isEqualTo(30_000 * MS);
        assertThat(target.queued()).isZero();

        gate.countDown();
        holder.get(10, TimeUnit.SECONDS);
        target.verify(null);
    }

    @Test
    void delegateExceptionsPassThroughUnchangedAndReleaseThePermit() {
        FakeWaiting time = new FakeWaiting(true);
        TargetException refused = new TargetException("wrong password", false);
        IllegalStateException bug = new IllegalStateException("bug");
        AtomicInteger calls = new AtomicInteger();
        LimitedTarget target = limited(new HookTarget(op -> {
            int n = calls.incrementAndGet();
            if (n == 1) {
                throw refused;
            }
            if (n == 2) {
                throw bug;
            }
        }), 1, 0, Duration.ofSeconds(1), time);

        assertThatThrownBy(() -> target.deliver(null)).isSameAs(refused);
        assertThatThrownBy(() -> target.revoke(null)).isSameAs(bug);
        // Had either kept the only permit, this would time out as "busy".
        target.verify(null);
        assertThat(calls).hasValue(3);
        assertThat(time.now).isZero();
    }

    @Test
    void anInterruptedWaitFailsRetryablyAndKeepsTheInterruptFlag() {
        LimitedTarget target = limited(new HookTarget(op -> {
            throw new AssertionError("must not run");
        }), 2, 0, Duration.ofSeconds(1), LimitedTarget.Waiting.SYSTEM);

        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> target.discard(null))
                    .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                    .hasMessage("target 'db-1': interrupted while queued to discard");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void bindingChecksAreNotQueued() throws Exception {
        FakeWaiting time = new FakeWaiting(true);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger validations = new AtomicInteger();
        LimitedTarget target = limited(new HookTarget(op -> {
            if (op.equals("validateBinding")) {
                validations.incrementAndGet();
                return;
            }
            inside.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }), 1, 0, Duration.ofSeconds(1), time);

        Future<?> holder = pool.submit(() -> target.deliver(null));
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        target.validateBinding(null);
        assertThat(validations).hasValue(1);
        assertThat(time.now).isZero();
        gate.countDown();
        holder.get(10, TimeUnit.SECONDS);
    }

    /** rotakey_target_queued{target=...} as the registry exports it. */
    static double queued(PrometheusRegistry registry, String target) {
        return registry.scrape().stream().filter(m -> m.getMetadata().getPrometheusName().equals("rotakey_target_queued"))
                .flatMap(m -> m.getDataPoints().stream()).filter(d -> target.equals(d.getLabels().get("target")))
                .mapToDouble(d -> ((GaugeSnapshot.GaugeDataPointSnapshot) d).getValue()).findFirst().orElseThrow();
    }

    /** The count of rotakey_target_wait_seconds{target=...}: operations that waited (or not) and ran. */
    static long waits(PrometheusRegistry registry, String target) {
        return registry.scrape().stream().filter(m -> m.getMetadata().getPrometheusName().equals("rotakey_target_wait_seconds"))
                .flatMap(m -> m.getDataPoints().stream()).filter(d -> target.equals(d.getLabels().get("target")))
                .mapToLong(d -> ((HistogramSnapshot.HistogramDataPointSnapshot) d).getCount()).findFirst().orElseThrow();
    }
}
