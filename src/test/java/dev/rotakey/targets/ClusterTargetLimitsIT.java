package dev.rotakey.targets;

import com.codahale.metrics.MetricRegistry;
import dev.rotakey.db.Store;
import dev.rotakey.db.TargetRateSlotDao;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Targets' limits on a cluster: three {@link LimitedTarget}s stand for three nodes, each with its own pools, over one
 * PostgreSQL database and one recording target, and together they stay within one node's limits; a node whose
 * lock session dies gives its permits back.
 */
class ClusterTargetLimitsIT {
    private static final String TARGET = "shared-db";
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path dir;

    private TestDatabase db;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<LimitedTarget> nodes = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        db = TestDatabases.open(Engine.POSTGRESQL, dir);
    }

    @AfterEach
    void close() throws Exception {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        nodes.forEach(LimitedTarget::close);
        db.close();
    }

    /** What the nodes call: records when each delivery starts and how many run at once. */
    static final class RecordingTarget implements Target {
        final List<Long> starts = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger peak = new AtomicInteger();
        private final long busyMillis;

        RecordingTarget(long busyMillis) {
            this.busyMillis = busyMillis;
        }

        @Override
        public void deliver(Delivery delivery) {
            starts.add(System.nanoTime());
            peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                if (busyMillis > 0) {
                    // The target's own work, not a wait for the test: it keeps operations overlapping.
                    Thread.sleep(busyMillis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        }

        @Override
        public String name() {
            return TARGET;
        }

        @Override
        public String type() {
            return "recording";
        }

        @Override
        public void validateBinding(TargetBinding binding) {
        }

        @Override
        public void verify(Delivery delivery) {
        }

        @Override
        public void revoke(Revocation revocation) {
        }

        @Override
        public void discard(Revocation revocation) {
        }
    }

    private Store nodeStore(String node) throws Exception {
        return new Store(Jdbi.create(db.dataSource("store-" + node)));
    }

    private PermitConnectionPool lockPool(String node) {
        return new PermitConnectionPool(() -> {
            try {
                return db.dataSource("locks-" + node);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private LimitedTarget node(Target target, OperationPermits permits, StartSlots slots, Duration maxWait) {
        LimitedTarget t = new LimitedTarget(target, permits, slots, maxWait, LimitedTarget.Waiting.SYSTEM,
                new dev.rotakey.metrics.TargetLimitMetrics(new io.prometheus.metrics.model.registry.PrometheusRegistry()));
        nodes.add(t);
        return t;
    }

    /** Runs {@code target.deliver} on {@code threads} threads until {@code untilNanos}; the futures of the threads. */
    private List<Future<Integer>> hammer(LimitedTarget target, int threads, long untilNanos) {
        List<Future<Integer>> out = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            out.add(pool.submit(() -> {
                int calls = 0;
                while (System.nanoTime() - untilNanos < 0) {
                    target.deliver(null);
                    calls++;
                }
                return calls;
            }));
        }
        return out;
    }

    @Test
    void threeNodesTogetherStartNoMoreThanPerSecond() throws Exception {
        RecordingTarget recording = new RecordingTarget(0);
        List<LimitedTarget> three = new ArrayList<>();
        for (String n : List.of("a", "b", "c")) {
            three.add(node(recording, null, new DatabaseStartSlots(nodeStore(n), TARGET, 20), Duration.ofSeconds(30)));
        }

        // Connections, class loading and compilation first, so that they do not delay some starts more than others.
        for (LimitedTarget t : three) {
            t.deliver(null);
            t.deliver(null);
        }
        recording.starts.clear();
        long until = System.nanoTime() + 3 * SECOND;
        List<Future<Integer>> threads = new ArrayList<>();
        for (LimitedTarget t : three) {
            threads.addAll(hammer(t, 3, until));
        }
        int calls = 0;
        for (Future<Integer> f : threads) {
            calls += f.get(30, TimeUnit.SECONDS);
        }

        List<Long> starts = new ArrayList<>(recording.starts);
        Collections.sort(starts);
        assertThat(starts).hasSize(calls);
        // Every second-long window, wherever it begins, holds at most 20 starts, +1 for the window's edge and +1 for
        // this JVM: a start is its slot plus the thread's delay in waking, and a pause of the test JVM (a collection,
        // a busy machine) longer than one interval (50 ms) makes the starts whose slots fell in it start together.
        // The slots themselves are exact (slotsReservedByThreeNodesAreNeverCloserThanTheInterval).
        for (int i = 0; i < starts.size(); i++) {
            int j = i;
            while (j < starts.size() && starts.get(j) - starts.get(i) < SECOND) {
                j++;
            }
            assertThat(j - i).as("starts in the second after start %d", i).isLessThanOrEqualTo(22);
        }
        // About 20 a second in all: three nodes at 20/s each would make 180 in 3 s.
        double seconds = (starts.get(starts.size() - 1) - starts.get(0)) / (double) SECOND;
        assertThat(seconds).isGreaterThan(2.5);
        assertThat(starts.size() / seconds).isBetween(15.0, 21.0);
    }

    @Test
    void slotsReservedByThreeNodesAreNeverCloserThanTheInterval() throws Exception {
        List<Store> stores = List.of(nodeStore("a"), nodeStore("b"), nodeStore("c"));
        List<Future<List<TargetRateSlotDao.Reservation>>> threads = new ArrayList<>();
        for (Store store : stores) {
            for (int t = 0; t < 3; t++) {
                threads.add(pool.submit(() -> {
                    List<TargetRateSlotDao.Reservation> mine = new ArrayList<>();
                    for (int i = 0; i < 20; i++) {
                        // 50 ms apart, with room for all 180 in the budget: nothing sleeps, nothing is refused.
                        mine.add(store.read(d -> d.targetRateSlots().reserve(TARGET, 50_000, 60_000_000))
                                .orElseThrow());
                    }
                    return mine;
                }));
            }
        }
        List<Instant> slots = new ArrayList<>();
        for (Future<List<TargetRateSlotDao.Reservation>> f : threads) {
            f.get(30, TimeUnit.SECONDS).forEach(r -> slots.add(r.slot()));
        }

        Collections.sort(slots);
        assertThat(slots).hasSize(180).doesNotHaveDuplicates();
        for (int i = 1; i < slots.size(); i++) {
            assertThat(Duration.between(slots.get(i - 1), slots.get(i))).isGreaterThanOrEqualTo(Duration.ofMillis(50));
        }
        // Queued back to back on the database's clock: 180 slots take 179 intervals, not a third of that.
        assertThat(Duration.between(slots.get(0), slots.get(179))).isBetween(Duration.ofMillis(8_950),
                Duration.ofMillis(9_500));
        // Beyond the budget: refused, and nothing reserved.
        Optional<TargetRateSlotDao.Reservation> tooLate =
                stores.get(0).read(d -> d.targetRateSlots().reserve(TARGET, 50_000, 1_000_000));
        assertThat(tooLate).isEmpty();
    }

    @Test
    void threeNodesTogetherNeverRunMoreThanConcurrencyAtOnce() throws Exception {
        RecordingTarget recording = new RecordingTarget(15);
        List<LimitedTarget> three = new ArrayList<>();
        for (String n : List.of("a", "b", "c")) {
            three.add(node(recording, new AdvisoryLockPermits(lockPool(n), TARGET, 3, LimitedTarget.Waiting.SYSTEM),
                    null, Duration.ofSeconds(30)));
        }

        long until = System.nanoTime() + 2 * SECOND;
        List<Future<Integer>> threads = new ArrayList<>();
        for (LimitedTarget t : three) {
            threads.addAll(hammer(t, 3, until));
        }
        int calls = 0;
        for (Future<Integer> f : threads) {
            calls += f.get(30, TimeUnit.SECONDS);
        }

        assertThat(recording.peak).hasValue(3);
        assertThat(recording.inFlight).hasValue(0);
        // Each node got work through: the slots are not kept by one node.
        for (Future<Integer> f : threads) {
            assertThat(f.get()).isPositive();
        }
        assertThat(calls).isGreaterThan(30);
        assertThat(advisoryLocksHeld()).isZero();
    }

    @Test
    void aDeadNodesPermitsAreFreedByTheDatabase() throws Exception {
        CountDownLatch insideA = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        LimitedTargetTest.HookTarget blocking = blockingDeliver(insideA, releaseA);
        RecordingTarget quick = new RecordingTarget(0);
        LimitedTarget a = node(blocking, new AdvisoryLockPermits(lockPool("a"), blocking.name(), 1,
                LimitedTarget.Waiting.SYSTEM), null, Duration.ofSeconds(30));
        LimitedTarget b = node(quick, new AdvisoryLockPermits(lockPool("b"), blocking.name(), 1,
                LimitedTarget.Waiting.SYSTEM), null, Duration.ofSeconds(30));

        Future<?> holder = pool.submit(() -> a.deliver(null));
        assertThat(insideA.await(10, TimeUnit.SECONDS)).isTrue();
        Future<?> waiter = pool.submit(() -> b.deliver(null));
        // B queues behind A's permit...
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> b.queued() == 1);
        assertThat(quick.starts).isEmpty();

        // ...until A's node "dies": its lock session ends, as when the process or its host goes away.
        assertThat(terminateLockHolders()).isEqualTo(1);
        waiter.get(10, TimeUnit.SECONDS);
        assertThat(quick.starts).hasSize(1);

        // A's operation ends after its session did: giving the permit back fails quietly, and A works on.
        releaseA.countDown();
        holder.get(10, TimeUnit.SECONDS);
        pool.submit(() -> a.deliver(null)).get(10, TimeUnit.SECONDS);
        b.deliver(null);
        assertThat(advisoryLocksHeld()).isZero();
    }

    @Test
    void waitingPastMaxWaitForAClusterPermitFailsAsRetryable() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LimitedTargetTest.HookTarget blocking = blockingDeliver(inside, release);
        LimitedTarget a = node(blocking, new AdvisoryLockPermits(lockPool("a"), blocking.name(), 1,
                LimitedTarget.Waiting.SYSTEM), null, Duration.ofSeconds(30));
        LimitedTarget b = node(blocking, new AdvisoryLockPermits(lockPool("b"), blocking.name(), 1,
                LimitedTarget.Waiting.SYSTEM), null, Duration.ofMillis(300));

        Future<?> holder = pool.submit(() -> a.deliver(null));
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        long before = System.nanoTime();
        assertThatThrownBy(() -> b.verify(null))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessage("target 'db-1' busy: could not verify within PT0.3S (all 1 operation slots stayed in use)");
        assertThat(System.nanoTime() - before).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
        release.countDown();
        holder.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aNodeWhoseLockConnectionsAreAllInUseWaitsAsForATakenPermit() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LimitedTargetTest.HookTarget blocking = blockingDeliver(inside, release);
        // The pool as the daemon builds it, with room for one held permit only.
        PermitConnectionPool oneConnection = ClusterLimits.pool(db.factory(), 1, new MetricRegistry());
        LimitedTarget node = node(blocking, new AdvisoryLockPermits(oneConnection, blocking.name(), 2,
                LimitedTarget.Waiting.SYSTEM), null, Duration.ofMillis(700));

        Future<?> holder = pool.submit(() -> node.deliver(null));
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        // The second permit is free in the database, but this node has no connection left to hold it on.
        assertThatThrownBy(() -> node.verify(null))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessageContaining("all 2 operation slots stayed in use");
        release.countDown();
        holder.get(10, TimeUnit.SECONDS);
        node.verify(null);
        assertThat(advisoryLocksHeld()).isZero();
    }

    @Test
    void aRateQueueLongerThanMaxWaitFailsAsRetryableAtOnceAndReservesNothing() throws Exception {
        RecordingTarget recording = new RecordingTarget(0);
        LimitedTarget a = node(recording, null, new DatabaseStartSlots(nodeStore("a"), TARGET, 1),
                Duration.ofMillis(500));
        LimitedTarget b = node(recording, null, new DatabaseStartSlots(nodeStore("b"), TARGET, 1),
                Duration.ofMillis(500));

        a.deliver(null);
        long before = System.nanoTime();
        assertThatThrownBy(() -> b.deliver(null))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessageContaining("the rate limit's queue is longer than the time left");
        assertThat(System.nanoTime() - before).isLessThan(TimeUnit.MILLISECONDS.toNanos(400));
        assertThat(recording.starts).hasSize(1);
        // The refusal reserved nothing: the next slot is still one second after the first start.
        double nextSlotIn = db.jdbi().withHandle(h -> h.createQuery(
                "SELECT EXTRACT(EPOCH FROM next_slot - clock_timestamp()) FROM target_rate_slots WHERE target = :t")
                .bind("t", TARGET).mapTo(Double.class).one());
        assertThat(nextSlotIn).isLessThanOrEqualTo(1.0);
    }

    @Test
    void anUnreachableDatabaseFailsTheOperationAsRetryableAndNeverCallsTheTarget() throws Exception {
        RecordingTarget recording = new RecordingTarget(0);
        // Nothing listens on port 1: every connection is refused at once.
        DataSourceFactory nowhere = new DataSourceFactory();
        nowhere.setDriverClass("org.postgresql.Driver");
        nowhere.setUrl("jdbc:postgresql://127.0.0.1:1/rotakey?connectTimeout=2");
        nowhere.setUser("postgres");
        nowhere.setInitialSize(0);
        nowhere.setMinSize(0);
        ManagedDataSource stopped = nowhere.build(new MetricRegistry(), "nowhere");
        LimitedTarget rate = node(recording, null, new DatabaseStartSlots(new Store(Jdbi.create(stopped)), TARGET, 5),
                Duration.ofSeconds(5));
        PermitConnectionPool gone = new PermitConnectionPool(() -> stopped);
        LimitedTarget permits = node(recording, new AdvisoryLockPermits(gone, TARGET, 2, LimitedTarget.Waiting.SYSTEM),
                null, Duration.ofSeconds(5));

        assertThatThrownBy(() -> rate.deliver(null))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessageContaining("cannot reach the rate limiter");
        assertThatThrownBy(() -> permits.deliver(null))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessageContaining("cannot reach the concurrency limiter");
        assertThat(recording.starts).isEmpty();
    }

    private long advisoryLocksHeld() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
                .mapTo(Long.class).one());
    }

    /** Ends the sessions holding advisory locks in the test database, as a node's death would; how many it ended. */
    private int terminateLockHolders() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT pg_terminate_backend(pid) "
                + "FROM pg_locks WHERE locktype = 'advisory' AND granted "
                + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
                .mapTo(Boolean.class).list()).stream().filter(Boolean::booleanValue).toList().size();
    }

    /** A target whose deliver counts {@code inside} down, then waits for {@code release}: an operation held open. */
    private static LimitedTargetTest.HookTarget blockingDeliver(CountDownLatch inside, CountDownLatch release) {
        return new LimitedTargetTest.HookTarget(op -> {
            if (op.equals("deliver")) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }
}
