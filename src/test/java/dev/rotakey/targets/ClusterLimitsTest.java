package dev.rotakey.targets;

import dev.rotakey.metrics.TargetLimitMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import dev.rotakey.db.Store;
import dev.rotakey.db.TargetRateSlotDao;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The pure parts of cluster-wide target limits: which permits and slots {@link TargetLimitsFactory} chooses, how
 * {@link LimitedTarget} uses pluggable ones, the advisory lock keys and the delay of a reserved slot. The database
 * parts run in {@code ClusterTargetLimitsIT}.
 */
class ClusterLimitsTest {
    private final PrometheusRegistry prometheus = new PrometheusRegistry();
    private final TargetLimitMetrics metrics = new TargetLimitMetrics(prometheus);
    private final List<String> calls = new ArrayList<>();
    private final LimitedTargetTest.HookTarget target = new LimitedTargetTest.HookTarget(calls::add);

    /** Never connects: Jdbi opens a connection only when a statement runs. */
    private static ClusterLimits cluster() {
        Store store = new Store(Jdbi.create("jdbc:h2:mem:never-used"));
        return new ClusterLimits(store, new PermitConnectionPool(() -> {
            throw new AssertionError("no connection may be opened");
        }));
    }

    private static TargetLimitsFactory limits(int concurrency, int perSecond) {
        TargetLimitsFactory f = new TargetLimitsFactory();
        f.setConcurrency(concurrency);
        f.setPerSecond(perSecond);
        return f;
    }

    @Test
    void aSingleNodeKeepsItsLimitsInProcess() {
        assertThat(limits(2, 5).apply(target, metrics)).hasToString(
                "LimitedTarget{db-1, permits=LocalPermits{size=2}, slots=LocalStartSlots{intervalNanos=200000000}}");
        assertThat(limits(0, 0).apply(target, metrics, cluster())).isSameAs(target);
    }

    @Test
    void aClusteredNodeTakesPermitsAndSlotsFromTheDatabase() {
        assertThat(limits(3, 0).apply(target, metrics, cluster()))
                .hasToString("LimitedTarget{db-1, permits=AdvisoryLockPermits{db-1, size=3}, slots=null}");
        // 1/3 s is rounded up to whole microseconds: never more than perSecond starts.
        assertThat(limits(0, 3).apply(target, new TargetLimitMetrics(new PrometheusRegistry()), cluster())).hasToString(
                "LimitedTarget{db-1, permits=null, slots=DatabaseStartSlots{db-1, intervalMicros=333334}}");
    }

    @Test
    void advisoryLockKeysAreStablePerTargetName() {
        // Nodes of different builds must agree on a target's keys:
        // the first 4 bytes of SHA-256("rotakey target limits\0" + name).
        assertThat(AdvisoryLockPermits.classId("redis-main")).isEqualTo(AdvisoryLockPermits.classId("redis-main"))
                .isEqualTo(0x3706e025);
        assertThat(AdvisoryLockPermits.classId("redis-main")).isNotEqualTo(AdvisoryLockPermits.classId("redis-main2"));
    }

    @Test
    void aSlotThatHasBegunNeedsNoWait() {
        Instant now = Instant.parse("2026-12-06T08:00:00Z");
        assertThat(new TargetRateSlotDao.Reservation(now.plusMillis(150), now).delay())
                .isEqualTo(Duration.ofMillis(150));
        assertThat(new TargetRateSlotDao.Reservation(now.minusNanos(3_000), now).delay()).isZero();
    }

    /** Permits that hand out up to {@code size} and count what is released and closed. */
    static final class CountingPermits implements OperationPermits {
        final AtomicInteger held = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final int size;

        CountingPermits(int size) {
            this.size = size;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public Permit acquire(long timeoutNanos) {
            if (held.get() >= size) {
                return null;
            }
            held.incrementAndGet();
            return held::decrementAndGet;
        }

        @Override
        public void close() {
            closed.incrementAndGet();
        }
    }

    @Test
    void aPermitIsGivenBackWhenTheRateLimiterCannotBeReached() {
        CountingPermits permits = new CountingPermits(1);
        StartSlots unreachable = budget -> {
            throw new TargetException("target 'db-1' busy: cannot reach the rate limiter in the database", true);
        };
        LimitedTarget limited = new LimitedTarget(target, permits, unreachable, Duration.ofSeconds(1),
                new LimitedTargetTest.FakeWaiting(true), metrics);

        assertThatThrownBy(() -> limited.deliver(null))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessageContaining("cannot reach the rate limiter");
        assertThat(permits.held).hasValue(0);
        assertThat(calls).isEmpty();
        assertThat(limited.queued()).isZero();
    }

    @Test
    void pluggablePermitsAndSlotsAreWaitedOnAndClosedWithTheTarget() {
        CountingPermits permits = new CountingPermits(1);
        LimitedTargetTest.FakeWaiting time = new LimitedTargetTest.FakeWaiting(true);
        List<Long> budgets = new ArrayList<>();
        StartSlots slots = budget -> {
            budgets.add(budget);
            return 40_000_000L;
        };
        LimitedTarget limited = new LimitedTarget(target, permits, slots, Duration.ofSeconds(1), time, metrics);

        limited.revoke(null);
        assertThat(calls).containsExactly("revoke");
        assertThat(budgets).containsExactly(1_000_000_000L);
        assertThat(time.sleeps).containsExactly(40_000_000L);
        assertThat(permits.held).hasValue(0);
        assertThat(LimitedTargetTest.waits(prometheus, "db-1")).isEqualTo(1);

        limited.close();
        assertThat(permits.closed).hasValue(1);
    }

    @Test
    void slotsRefusedForLackOfTimeFailAsBusy() {
        LimitedTarget limited = new LimitedTarget(target, null, budget -> -1, Duration.ofSeconds(2),
                new LimitedTargetTest.FakeWaiting(true), metrics);
        assertThatThrownBy(() -> limited.discard(null))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessage("target 'db-1' busy: could not discard within PT2S "
                        + "(the rate limit's queue is longer than the time left)");
    }
}
