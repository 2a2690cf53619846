package dev.rotakey.schedule;

import dev.rotakey.core.WorkScheduler;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What runs on the node's own threads and what goes to the durable scheduler. */
class ImmediateWorkTest {
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final List<String> durable = new CopyOnWriteArrayList<>();
    private final List<String> ran = new CopyOnWriteArrayList<>();

    private final WorkScheduler quartz = new WorkScheduler() {
        @Override
        public void rotateAt(String credentialId, Instant at) {
            durable.add("rotate " + credentialId);
        }

        @Override
        public void continueRotationAt(String rotationId, Instant at) {
            durable.add("continue " + rotationId + (at.isAfter(NOW) ? " later" : " now"));
        }

        @Override
        public void continueRotationFirst(String rotationId, Instant at) {
            durable.add("first " + rotationId);
        }

        @Override
        public void revokeAt(String credentialId, int version, Instant at) {
            durable.add("revoke " + credentialId);
        }

        @Override
        public void decommissionAt(String agentId, Instant at) {
            durable.add("decommission " + agentId);
        }

        @Override
        public void forgetCredential(String credentialId) {
            durable.add("forget " + credentialId);
        }
    };

    @Test
    void aRotationDueNowRunsHereAndOneDueLaterOrAnEmergencyGoesToTheScheduler() throws Exception {
        ImmediateWork work = new ImmediateWork(quartz, ran::add, clock, 2, 10);
        work.start();
        try {
            work.continueRotationAt("r1", NOW);
            work.continueRotationAt("r2", NOW.plus(Duration.ofMinutes(1)));
            work.continueRotationFirst("r3", NOW);
            await().atMost(Duration.ofSeconds(10)).until(() -> ran.contains("r1"));
        } finally {
            work.stop();
        }
        assertThat(ran).containsExactly("r1");
        assertThat(durable).containsExactly("continue r2 later", "first r3");
    }

    @Test
    void whatTheNodeCannotTakeNowGoesToTheScheduler() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ImmediateWork work = new ImmediateWork(quartz, id -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ran.add(id);
        }, clock, 1, 1);
        work.continueRotationAt("before-start", NOW);
        work.start();
        try {
            // The pool's first task goes straight to its new thread, the next one into the queue of one.
            work.continueRotationAt("running", NOW);
            work.continueRotationAt("queued", NOW);
            work.continueRotationAt("overflow", NOW);
        } finally {
            release.countDown();
            work.stop();
        }
        work.continueRotationAt("after-stop", NOW);
        assertThat(durable).contains("continue before-start now", "continue after-stop now");
        assertThat(durable).contains("continue overflow now").doesNotContain("continue running now", "continue queued now");
    }
}
