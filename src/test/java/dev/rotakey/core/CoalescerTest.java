package dev.rotakey.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class CoalescerTest {
    private final List<List<Integer>> handled = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstStarted = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    /** A coalescer whose handling of the batch holding 0 waits for {@link #release}, then hands each batch on. */
    private Coalescer<Integer> heldAtZero(int maxBatch, Consumer<List<Integer>> then) {
        return new Coalescer<>(maxBatch, batch -> {
            if (batch.contains(0)) {
                firstStarted.countDown();
                awaitLatch(release);
            }
            then.accept(batch);
        });
    }

    @Test
    void aLoneCallerIsHandledAtOnceAndAlone() {
        Coalescer<Integer> c = new Coalescer<>(10, handled::add);

        c.submit(1);
        c.submit(2);

        assertThat(handled).containsExactly(List.of(1), List.of(2));
        assertThat(c.batches()).isEqualTo(2);
    }

    @Test
    void workHandedInWhileABatchIsHandledGoesTogetherIntoTheNextUpToTheLimit() throws Exception {
        Coalescer<Integer> c = heldAtZero(3, handled::add);
        ExecutorService threads = Executors.newFixedThreadPool(6);
        try {
            List<CompletableFuture<Void>> calls = new ArrayList<>();
            calls.add(CompletableFuture.runAsync(() -> c.submit(0), threads));
            firstStarted.await(10, TimeUnit.SECONDS);
            for (int i = 1; i <= 5; i++) {
                int n = i;
                calls.add(CompletableFuture.runAsync(() -> c.submit(n), threads));
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> c.waiting() == 5);
            release.countDown();
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        } finally {
            threads.shutdownNow();
        }

        assertThat(handled.get(0)).containsExactly(0);
        assertThat(handled.subList(1, handled.size())).hasSize(2).allSatisfy(b -> assertThat(b).hasSizeLessThanOrEqualTo(3));
        assertThat(handled.stream().flatMap(List::stream)).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
        assertThat(c.batches()).isEqualTo(3);
    }

    @Test
    void everyCallerOfAFailedBatchGetsTheFailureAndLaterBatchesAreUnaffected() throws Exception {
        Coalescer<Integer> c = heldAtZero(10, batch -> {
            if (batch.contains(2)) {
                throw new IllegalStateException("the scheduler is not running");
            }
            handled.add(batch);
        });
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> c.submit(0), threads);
            firstStarted.await(10, TimeUnit.SECONDS);
            CompletableFuture<Void> a = CompletableFuture.runAsync(() -> c.submit(1), threads);
            CompletableFuture<Void> b = CompletableFuture.runAsync(() -> c.submit(2), threads);
            await().atMost(10, TimeUnit.SECONDS).until(() -> c.waiting() == 2);
            release.countDown();
            first.get(10, TimeUnit.SECONDS);
            for (CompletableFuture<Void> failed : List.of(a, b)) {
                assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS))
                        .hasRootCauseInstanceOf(IllegalStateException.class)
                        .hasRootCauseMessage("the scheduler is not running");
            }
        } finally {
            threads.shutdownNow();
        }

        c.submit(3);
        assertThat(handled).containsExactly(List.of(0), List.of(3));
    }

    @Test
    void aCallerInterruptedWhileWaitingIsStillHandledAndKeepsItsInterrupt() throws Exception {
        Coalescer<Integer> c = heldAtZero(10, handled::add);
        Thread leader = new Thread(() -> c.submit(0));
        leader.start();
        firstStarted.await(10, TimeUnit.SECONDS);
        boolean[] interruptKept = new boolean[1];
        Thread waiter = new Thread(() -> {
            c.submit(1);
            interruptKept[0] = Thread.currentThread().isInterrupted();
        });
        waiter.start();
        await().atMost(10, TimeUnit.SECONDS).until(() -> c.waiting() == 1);
        waiter.interrupt();
        release.countDown();
        waiter.join(10_000);
        leader.join(10_000);

        assertThat(handled).containsExactly(List.of(0), List.of(1));
        assertThat(interruptKept[0]).isTrue();
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
