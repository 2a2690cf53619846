package dev.rotakey.schedule;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class TriggersBehindTest {
    private final List<List<Trigger>> stored = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstStoreStarted = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final TriggersBehind behind = new TriggersBehind(batch -> {
        firstStoreStarted.countDown();
        try {
            assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        stored.add(batch);
    });

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        behind.stop();
    }

    @Test
    void storesWhatArrivesDuringAStoreTogetherInBatchesOfAtMostAThousandTheLaterOfTwoForOneKeyWinning()
            throws InterruptedException {
        behind.start();
        behind.add(trigger("first", 0));
        assertThat(firstStoreStarted.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 1_500; i++) {
            behind.add(trigger("c-" + i, 0));
        }
        behind.add(trigger("c-7", 60));
        assertThat(behind.pending()).isEqualTo(1_501);

        release.countDown();

        await().atMost(Duration.ofSeconds(10)).until(() -> behind.pending() == 0);
        assertThat(stored).extracting(List::size).containsExactly(1, 1_000, 500);
        Trigger seven = stored.stream().flatMap(List::stream).filter(t -> t.getKey().getName().equals("c-7"))
                .findFirst().orElseThrow();
        assertThat(seven.getStartTime()).isEqualTo(Date.from(at(60)));
        assertThat(stored.stream().flatMap(List::stream).filter(t -> t.getKey().getName().equals("c-7"))).hasSize(1);
    }

    @Test
    void aTriggerCancelledBeforeItsTurnIsNeverStored() throws InterruptedException {
        behind.start();
        behind.add(trigger("first", 0));
        assertThat(firstStoreStarted.await(10, TimeUnit.SECONDS)).isTrue();
        behind.add(trigger("forgotten", 0));
        behind.add(trigger("kept", 0));

        behind.cancel(TriggerKey.triggerKey("forgotten", "rotate"));
        release.countDown();

        await().atMost(Duration.ofSeconds(10)).until(() -> behind.pending() == 0);
        assertThat(stored.stream().flatMap(List::stream).map(t -> t.getKey().getName()))
                .containsExactly("first", "kept");
    }

    @Test
    void aStopStoresEverythingStillPendingBeforeItReturns() throws InterruptedException {
        behind.start();
        behind.add(trigger("first", 0));
        assertThat(firstStoreStarted.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 2_345; i++) {
            behind.add(trigger("c-" + i, 0));
        }

        release.countDown();
        behind.stop();

        assertThat(stored.stream().mapToInt(List::size).sum()).isEqualTo(2_346);
        assertThat(behind.pending()).isZero();
    }

    private static Instant at(long plusSeconds) {
        return Instant.parse("2030-01-01T00:00:00Z").plusSeconds(plusSeconds);
    }

    private static Trigger trigger(String name, long plusSeconds) {
        return TriggerBuilder.newTrigger().withIdentity(name, "rotate").startAt(Date.from(at(plusSeconds)))
                .withSchedule(SimpleScheduleBuilder.simpleSchedule()).build();
    }
}
