package dev.rotakey.targets.files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Directory fsyncs shared by the callers that arrive while one runs, never by one that arrived after it started. */
class DirectorySyncTest {
    @TempDir
    Path dir;

    @Test
    void aCallerAloneSyncsAtOnce() throws IOException {
        AtomicInteger fsyncs = new AtomicInteger();
        DirectorySync sync = new DirectorySync(d -> fsyncs.incrementAndGet());
        sync.sync(dir);
        sync.sync(dir);
        assertThat(fsyncs).hasValue(2);
    }

    @Test
    void callersArrivingDuringAnFsyncShareTheNextAndEachLearnsAFailure() throws Exception {
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger fsyncs = new AtomicInteger();
        DirectorySync sync = new DirectorySync(d -> {
            if (fsyncs.incrementAndGet() == 1) {
                firstStarted.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                throw new IOException("disk gone");
            }
        });
        ExecutorService threads = Executors.newFixedThreadPool(7);
        try {
            Future<?> first = threads.submit(() -> {
                sync.sync(dir);
                return null;
            });
            firstStarted.await();
            List<Future<?>> later = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                later.add(threads.submit(() -> {
                    sync.sync(dir);
                    return null;
                }));
            }
            // None of them is covered by the fsync that started before they came: they wait for the next one.
            await().atMost(Duration.ofSeconds(10)).until(() -> sync.waiting(dir) == 6);
            release.countDown();
            first.get();
            for (Future<?> f : later) {
                assertThatThrownBy(f::get).hasRootCauseMessage("disk gone");
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(fsyncs).hasValue(2);
    }

    @Test
    void differentDirectoriesDoNotWaitForEachOther() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Path other = dir.resolve("other");
        DirectorySync sync = new DirectorySync(d -> {
            if (d.equals(dir)) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        ExecutorService threads = Executors.newFixedThreadPool(1);
        try {
            Future<?> blocked = threads.submit(() -> {
                sync.sync(dir);
                return null;
            });
            sync.sync(other);
            assertThat(blocked).isNotDone();
            release.countDown();
            blocked.get();
        } finally {
            threads.shutdownNow();
        }
    }
}
