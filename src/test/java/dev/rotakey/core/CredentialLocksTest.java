package dev.rotakey.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Credential locks: the cross-node exclusion is taken once per thread and credential, and released last. */
class CredentialLocksTest {
    private final List<String> events = new ArrayList<>();
    private final CredentialLocks locks = new CredentialLocks(4, id -> {
        events.add("hold " + id);
        return () -> events.add("release " + id);
    });

    @Test
    void reenteringTheSameCredentialDoesNotAskTheOtherNodesAgain() {
        try (CredentialLocks.Held outer = locks.lock("c1")) {
            try (CredentialLocks.Held inner = locks.lock("c1")) {
                assertThat(events).containsExactly("hold c1");
            }
            assertThat(events).containsExactly("hold c1");
        }
        assertThat(events).containsExactly("hold c1", "release c1");
    }

    @Test
    void aCredentialOnTheSameStripeIsHeldAcrossNodesOfItsOwn() {
        // Stripes are chosen by hash: with 4 stripes, "c1" and "c5"... may share one; each still gets its own node lock.
        try (CredentialLocks.Held a = locks.lock("a"); CredentialLocks.Held b = locks.lock("b")) {
            assertThat(events).containsExactly("hold a", "hold b");
        }
        assertThat(events).containsExactly("hold a", "hold b", "release b", "release a");
    }

    @Test
    void aFailureToLockAcrossNodesLeavesTheLocalLockFree() throws Exception {
        CredentialLocks failing = new CredentialLocks(1, id -> {
            throw new IllegalStateException("database unreachable");
        });
        assertThatThrownBy(() -> failing.lock("c1")).hasMessageContaining("unreachable");
        Thread other = new Thread(() -> {
            try (CredentialLocks.Held held = new CredentialLocks(1).lock("c1")) {
                events.add("other thread locked");
            }
        });
        other.start();
        other.join(5_000);
        assertThat(events).containsExactly("other thread locked");
        // The failing instance's only stripe is free again: this thread can take it from another thread's view too.
        Thread again = new Thread(() -> {
            try {
                failing.lock("c2");
            } catch (IllegalStateException e) {
                events.add("refused again, not blocked");
            }
        });
        again.start();
        again.join(5_000);
        assertThat(events).contains("refused again, not blocked");
    }

    @Test
    void aSingleNodeTakesOnlyTheLocalLock() throws Exception {
        CredentialLocks single = new CredentialLocks(2);
        CredentialLocks.Held held = single.lock("c1");
        List<Boolean> got = new ArrayList<>();
        Thread t = new Thread(() -> got.add(single.lock("c1") != null));
        t.start();
        t.join(200);
        assertThat(t.isAlive()).as("another thread waits for the credential").isTrue();
        held.close();
        t.join(5_000);
        assertThat(got).containsExactly(true);
    }

    @Test
    void holdingManyAtOnceAsksTheOtherNodesOnlyForThoseNotHeldYetAndReleasesThemFirst() {
        try (CredentialLocks.Held one = locks.lock("c1")) {
            try (CredentialLocks.Held many = locks.lockAll(List.of("c3", "c1", "c2", "c3"))) {
                assertThat(events).containsExactly("hold c1", "hold c2", "hold c3");
            }
            assertThat(events).containsExactly("hold c1", "hold c2", "hold c3", "release c3", "release c2");
        }
        assertThat(events).endsWith("release c1");
    }

    @Test
    void anotherThreadWaitsForEachCredentialHeldTogether() throws Exception {
        CredentialLocks single = new CredentialLocks(8);
        CredentialLocks.Held held = single.lockAll(List.of("a", "b", "c"));
        List<String> got = new ArrayList<>();
        Thread t = new Thread(() -> {
            try (CredentialLocks.Held b = single.lock("b")) {
                got.add("b");
            }
        });
        t.start();
        t.join(200);
        assertThat(t.isAlive()).as("another thread waits for a credential of the set").isTrue();
        held.close();
        t.join(5_000);
        assertThat(got).containsExactly("b");
    }

    @Test
    void tryingManyAtOnceTakesNoneWhenAnotherThreadHoldsOneAndCountsThisThreadsOwnAsFree() throws Exception {
        CredentialLocks single = new CredentialLocks(1024);
        java.util.concurrent.CountDownLatch taken = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread other = new Thread(() -> {
            try (CredentialLocks.Held b = single.lock("b")) {
                taken.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        other.start();
        taken.await();
        try (CredentialLocks.Held mine = single.lock("a")) {
            assertThat(single.tryLockAll(List.of("a", "b", "c"))).as("b is another thread's").isEmpty();
            // None of a, c was kept: another thread takes c at once.
            Thread third = new Thread(() -> single.lock("c").close());
            third.start();
            third.join(5_000);
            assertThat(third.isAlive()).isFalse();
            done.countDown();
            other.join(5_000);
            java.util.Optional<CredentialLocks.Held> all = single.tryLockAll(List.of("a", "b", "c"));
            assertThat(all).as("a is this thread's own").isPresent();
            all.get().close();
        }
        assertThat(locks.tryLockAll(List.of("x"))).as("never across nodes").isEmpty();
    }
}
