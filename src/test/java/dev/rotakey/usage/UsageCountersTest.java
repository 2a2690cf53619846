package dev.rotakey.usage;

import dev.rotakey.core.VersionState;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The in-memory counters: bounded (overflow folded into "(other)", then lost and counted), and nothing lost at a drain. */
class UsageCountersTest {
    private static final Instant AT = Instant.parse("2026-12-02T10:15:00Z");

    private static CredentialUse use(String credential, String refusal) {
        return new CredentialUse(credential, 1, VersionState.CURRENT, null, "agent", "owner@example.com", "svc", "10.0.0.1",
                refusal, AT);
    }

    private static CredentialUse later(CredentialUse u) {
        return new CredentialUse(u.credentialId(), u.version(), u.state(), u.revokeAfter(), u.agentId(), u.owner(),
                u.relyingService(), u.sourceAddress(), u.refusal(), u.at().plusSeconds(1));
    }

    @Test
    void countsUsesAndDenialsPerKey() {
        UsageCounters c = new UsageCounters(100);
        c.add(use("c1", null), 1, "svc", "10.0.0.0/24", "10.0.0.1", false);
        // A second later: the last use is kept to the second.
        c.add(later(use("c1", "scope")), 1, "svc", "10.0.0.0/24", "10.0.0.2", false);
        // Within the same second: counted, but the last use stays the first one's.
        c.add(use("c1", null), 1, "svc", "10.0.0.0/24", "10.0.0.3", false);
        c.add(use("c1", null), 1, "other-svc", "10.0.0.0/24", "10.0.0.1", false);
        Map<UsageCounters.Key, UsageCounters.Counts> drained = c.drain();
        assertThat(drained).hasSize(2);
        UsageCounters.Counts svc = drained.get(new UsageCounters.Key("c1", 1, 1, "svc", "10.0.0.0/24"));
        assertThat(svc.uses()).isEqualTo(3);
        assertThat(svc.denied()).isEqualTo(1);
        assertThat(svc.lastSource()).isEqualTo("10.0.0.2");
        assertThat(svc.owner()).isEqualTo("owner@example.com");
        assertThat(c.drain()).isEmpty();
    }

    @Test
    void pastTheBoundUsesAreFoldedIntoOtherThenLost() {
        UsageCounters c = new UsageCounters(100);
        for (int i = 0; i < 100; i++) {
            c.add(use("c" + i, null), 1, "svc", "n", "s", false);
        }
        // Full: a new service of c0 folds into c0's (other) counter.
        c.add(use("c0", null), 1, "svc-2", "n", "s", false);
        c.add(use("c0", null), 1, "svc-3", "n2", "s", false);
        assertThat(c.folded()).isEqualTo(2);
        // Fold counters: max(16, 100/8) more; past them, uses are lost.
        for (int i = 100; i < 200; i++) {
            c.add(use("c" + i, null), 1, "svc", "n", "s", false);
        }
        assertThat(c.size()).isEqualTo(116);
        assertThat(c.lost()).isEqualTo(100 - 15);
        Map<UsageCounters.Key, UsageCounters.Counts> drained = c.drain();
        assertThat(drained).hasSize(116);
        assertThat(drained.get(new UsageCounters.Key("c0", 1, 1, UsageCounters.OTHER, UsageCounters.OTHER)).uses())
                .isEqualTo(2);
        // A new window has room again.
        c.add(use("c500", null), 1, "svc", "n", "s", false);
        assertThat(c.size()).isEqualTo(1);
    }

    @Test
    void noUseIsLostOrCountedTwiceAcrossDrains() throws Exception {
        UsageCounters c = new UsageCounters(1000);
        int threads = 4;
        int perThread = 200_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicBoolean done = new AtomicBoolean();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    c.add(use("c1", null), 1, "svc", "n", "s", false);
                }
            }));
        }
        long total = 0;
        while (!futures.stream().allMatch(Future::isDone)) {
            total += c.drain().values().stream().mapToLong(UsageCounters.Counts::uses).sum();
        }
        total += c.drain().values().stream().mapToLong(UsageCounters.Counts::uses).sum();
        done.set(true);
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(total).isEqualTo((long) threads * perThread);
    }
}
