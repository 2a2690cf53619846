package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.resources.TestKeyBackend;
import dev.rotakey.targets.files.LocalFilesTarget;
import dev.rotakey.testing.NotingScheduler;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import io.dropwizard.lifecycle.Managed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Scheduled rotations that fall due together, on the real services (H2, API keys under a test HMAC backend, files),
 * with the scheduler's own work only noted: they start and run in chunks, what is not due or not rotatable is
 * handled as its own trigger would handle it.
 */
class DueRotationsTest {
    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-12-01T10:00:00Z"));
    /** Past every credential's first scheduled rotation (30 days and its jitter, by default). */
    private static final Duration PAST_DUE = Duration.ofDays(32);
    @TempDir
    static Path dir;
    private static TestDatabase database;
    private static Store store;
    private static RotakeyComponents components;
    /** What the services schedule; nothing runs. */
    private static final NotingScheduler NOTING = new NotingScheduler();
    private static final List<String> SCHEDULED = NOTING.events;
    private static final AtomicInteger TRANSACTIONS = new AtomicInteger();
    private static DueRotations due;
    private static final AtomicBoolean PAUSED = new AtomicBoolean();
    private static int agents;

    @BeforeAll
    static void build() throws Exception {
        database = TestDatabases.open(TestDatabases.Engine.H2, dir.resolve("db"));
        store = database.store();
        store.afterEachTransaction(TRANSACTIONS::incrementAndGet);
        Files.createDirectories(dir.resolve("files"));
        components = RotakeyComponents.builder(new RotakeyConfiguration(), CLOCK, store)
                .keyBackends(Map.of("hsm", new TestKeyBackend("hsm")))
                .targets(Map.of("files", new LocalFilesTarget("files", dir.resolve("files"))))
                .workScheduler(NOTING)
                .build();
        for (Managed m : components.managed()) {
            if (m instanceof ParallelSteps) {
                m.start();
            }
        }
        components.batchedRotations().lanes().start();
        due = new DueRotations(store, components.rotations(), components.batchedRotations(), NOTING, CLOCK, 1_000, true,
                PAUSED::get);
    }

    @AfterAll
    static void close() throws Exception {
        components.batchedRotations().lanes().stop();
        for (Managed m : components.managed()) {
            if (m instanceof ParallelSteps) {
                m.stop();
            }
        }
        database.close();
    }

    @BeforeEach
    void forgetWhatWasScheduled() {
        SCHEDULED.clear();
    }

    /** An agent with {@code n} API keys, each delivered to a file of its own; their first rotation is 30 days away. */
    private static List<String> credentials(int n) {
        String agent = "agent-" + (++agents);
        components.agents().create(new NewAgent(agent, "team@example.com", null, null, null, Map.of()), "token:ops");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = agent + "-key-" + i;
            components.credentials().create(new NewCredential(id, agent, "api-key", "hsm", null, "PT1H",
                    List.of(Map.of("target", "files", "path", agent + "/" + id))), "token:ops");
            ids.add(id);
        }
        return ids;
    }

    private static String delivered(String credentialId) throws Exception {
        String agent = credentialId.substring(0, credentialId.indexOf("-key-"));
        return Files.readString(dir.resolve("files").resolve(agent).resolve(credentialId));
    }

    private static VersionState state(String credentialId, int version) {
        return store.read(d -> d.versions().find(credentialId, version)).map(CredentialVersion::state).orElse(null);
    }

    private static List<Rotation> rotations(String credentialId) {
        return store.read(d -> d.rotations().ofCredential(credentialId, 10));
    }

    /** Its rotations but the one that made its first version. */
    private static List<Rotation> scheduled(String credentialId) {
        return rotations(credentialId).stream().filter(r -> r.trigger() != RotationTrigger.INITIAL).toList();
    }

    @Test
    void rotationsDueTogetherRunInChunksWithAFewTransactionsEach() throws Exception {
        List<String> ids = credentials(250);
        List<String> before = new ArrayList<>();
        for (String id : ids) {
            before.add(delivered(id));
        }
        CLOCK.advance(PAST_DUE);
        TRANSACTIONS.set(0);

        due.rotate(ids);

        await().untilAsserted(() -> assertThat(ids).allSatisfy(id -> assertThat(state(id, 2)).isEqualTo(VersionState.CURRENT)));
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            assertThat(delivered(id)).as("what the target holds for %s", id).isNotEqualTo(before.get(i)).isNotBlank();
            assertThat(state(id, 1)).isEqualTo(VersionState.PREVIOUS);
            Rotation r = scheduled(id).get(0);
            assertThat(r.trigger()).isEqualTo(RotationTrigger.SCHEDULE);
            assertThat(r.state()).isEqualTo(RotationState.SUCCEEDED);
        }
        // One rotation alone commits five times or more; three chunks commit a few times each.
        assertThat(TRANSACTIONS.get()).as("transactions for 250 rotations").isLessThan(50);
        assertThat(SCHEDULED).as("its previous version's revocation").contains("revoke " + ids.get(0) + "#v1");
        assertThat(NOTING.rotations.get(ids.get(249))).as("its next rotation").isAfter(CLOCK.instant());
    }

    @Test
    void aStaleTriggerIsMovedToTheCredentialsNextRotation() {
        String id = credentials(1).get(0);
        Instant next = store.read(d -> d.credentials().find(id)).orElseThrow().nextRotationAt();
        SCHEDULED.clear();

        due.rotate(List.of(id));

        assertThat(scheduled(id)).isEmpty();
        assertThat(SCHEDULED).containsExactly("rotate " + id);
        assertThat(NOTING.rotations).containsEntry(id, next);
    }

    @Test
    void aDecommissionedOrMissingCredentialIsForgottenAndOneRotatingAlreadyGoesOn() {
        String rotating = credentials(1).get(0);
        String decommissioned = credentials(1).get(0);
        CLOCK.advance(PAST_DUE);
        Rotation busy = components.rotations().start(rotating, RotationTrigger.OPERATOR, "token:ops", false);
        components.rotations().decommission(decommissioned.substring(0, decommissioned.indexOf("-key-")), "token:ops");
        SCHEDULED.clear();

        due.rotate(List.of(rotating, decommissioned, "no-such-credential"));

        assertThat(SCHEDULED).containsExactlyInAnyOrder("continue " + busy.id(), "forget " + decommissioned,
                "forget no-such-credential");
        assertThat(scheduled(rotating)).extracting(Rotation::id).containsExactly(busy.id());
        assertThat(scheduled(decommissioned)).isEmpty();
    }

    @Test
    void offeredCredentialsAreRotatedOnceEvenWhenOfferedTwice() throws Exception {
        List<String> ids = credentials(30);
        CLOCK.advance(PAST_DUE);
        assertThat(due.offer(ids.get(0))).as("not started: the caller rotates it itself").isFalse();

        due.start();
        try {
            for (String id : ids) {
                assertThat(due.offer(id)).isTrue();
                // A sweep re-created its trigger while it waited, or while its rotation ran.
                assertThat(due.offer(id)).isTrue();
            }
            await().untilAsserted(() -> assertThat(ids).allSatisfy(id -> assertThat(state(id, 2)).isEqualTo(VersionState.CURRENT)));
        } finally {
            due.stop();
        }
        assertThat(due.offer(ids.get(0))).as("stopped").isFalse();
        assertThat(IntStream.range(0, ids.size()).mapToObj(i -> scheduled(ids.get(i)).size()))
                .as("each rotated once").containsOnly(1);
    }

    @Test
    void oneDueCredentialOfferedBringsTheOthersDueWithItAndDropsTheirTriggers() throws Exception {
        List<String> ids = credentials(40);
        CLOCK.advance(PAST_DUE);
        due.start();
        try {
            PAUSED.set(true);
            assertThat(due.offer(ids.get(0))).isTrue();
            await().untilAsserted(() -> assertThat(state(ids.get(0), 2)).isEqualTo(VersionState.CURRENT));
            assertThat(ids.subList(1, ids.size())).as("scheduled work is paused: nothing pulled")
                    .allSatisfy(id -> assertThat(scheduled(id)).isEmpty());

            PAUSED.set(false);
            SCHEDULED.clear();
            assertThat(due.offer(ids.get(1))).isTrue();
            await().untilAsserted(() -> assertThat(ids).allSatisfy(id -> assertThat(state(id, 2)).isEqualTo(VersionState.CURRENT)));
        } finally {
            due.stop();
        }
        for (String id : ids.subList(2, ids.size())) {
            assertThat(SCHEDULED).as("its due trigger dropped before its rotation started").contains("forget " + id);
            assertThat(scheduled(id)).hasSize(1).allSatisfy(r -> assertThat(r.trigger()).isEqualTo(RotationTrigger.SCHEDULE));
            assertThat(SCHEDULED.indexOf("forget " + id)).as("and its next rotation scheduled after that")
                    .isLessThan(SCHEDULED.lastIndexOf("rotate " + id));
        }
    }
}
