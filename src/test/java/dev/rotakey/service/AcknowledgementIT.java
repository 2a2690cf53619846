package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.core.Acknowledgement;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.targets.files.LocalFilesTargetFactory;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Revocation that waits for consumers ({@code revokeWhen: acknowledged}) with its real edges (SoftHSM2,
 * the local-files target, H2 and PostgreSQL): grace alone is not enough, the last ack revokes at once,
 * the maximum grace period revokes and flags the overdue consumers, and a wrong key proves nothing.
 */
class AcknowledgementIT {
    private static KeyBackend backend;

    @TempDir
    Path dir;

    private TestDatabase db;
    private TestClock clock;
    private RecordingScheduler scheduler;
    private Store store;
    private RotationService rotations;
    private RevocationService revocations;
    private CredentialService credentials;
    private AcknowledgementService acks;

    @BeforeAll
    static void token() {
        backend = SoftHsmTokens.factory(SoftHsmTokens.WORKFLOW).build("hsm");
        backend.start();
        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
    }

    @AfterAll
    static void closeToken() {
        backend.close();
    }

    @AfterEach
    void close() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    private void start(TestDatabases.Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir.resolve("db"));
        store = db.store();
        clock = new TestClock(Instant.parse("2026-11-28T10:00:00Z"));
        scheduler = new RecordingScheduler();
        LocalFilesTargetFactory f = new LocalFilesTargetFactory();
        f.setDirectory(dir.resolve("delivered").toString());
        RotakeyComponents c = TestComponents.build(clock, store, backend, Map.of("local-files", f.build("local-files")),
                scheduler);
        revocations = c.revocations();
        rotations = c.rotations();
        credentials = c.credentials();
        acks = c.acknowledgements();
        c.agents().create(new NewAgent("agent-1", "team@example.com", null, null, null, null), "test");
    }

    /** Grace 1 h, consumers web and worker, maxGracePeriod 3 h; version 2 promoted at the returned instant. */
    private Instant createAndRotate(String id) {
        credentials.create(new NewCredential(id, "agent-1", "api-key", "hsm",
                new NewCredential.RotationSpec("P7D", null), "PT1H",
                List.of(Map.of("target", "local-files", "path", "agent-1/" + id)), null, null, null, null, null, null,
                null, null, null, "acknowledged", List.of("web", "worker"), "PT3H"), "test");
        clock.advance(Duration.ofMinutes(5));
        rotations.startAndRun(id, RotationTrigger.OPERATOR, "test");
        return clock.instant();
    }

    private String key(String id) throws Exception {
        return Files.readString(dir.resolve("delivered/agent-1/" + id), StandardCharsets.UTF_8);
    }

    private VersionState state(String id, int version) {
        return store.read(d -> d.versions().find(id, version)).map(CredentialVersion::state).orElseThrow();
    }

    private List<String> overdue(String id) {
        return store.read(d -> d.credentials().acknowledgementOverdue(id));
    }

    private List<String> auditActions(String id) {
        return store.read(d -> d.audit().list("credential:" + id, null, Long.MAX_VALUE, 1000)).stream()
                .map(e -> e.action()).toList();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void graceOverWithoutAcksKeepsThePreviousVersionUntilTheLastAckRevokesItAtOnce(TestDatabases.Engine engine)
            throws Exception {
        start(engine);
        Instant promoted = createAndRotate("c1");
        clock.advance(Duration.ofHours(1));
        assertThat(revocations.revokeDue("c1", 1)).isFalse();
        assertThat(state("c1", 1)).isEqualTo(VersionState.PREVIOUS);
        // Rescheduled at the maximum grace deadline, not in a busy loop.
        assertThat(scheduler.revocations).containsEntry("c1#v1", promoted.plus(Duration.ofHours(3)));

        Acknowledgement web = acks.acknowledge("c1", 2, "web", "consumer:web");
        assertThat(state("c1", 1)).isEqualTo(VersionState.PREVIOUS);
        // Idempotent: the same record, not a second one.
        clock.advance(Duration.ofMinutes(1));
        assertThat(acks.acknowledge("c1", 2, "web", "token:admin")).isEqualTo(web);

        acks.acknowledge("c1", 2, "worker", "consumer:worker");
        // The last ack asks for the check now (through the scheduler, which honours the kill switch).
        assertThat(scheduler.revocations).containsEntry("c1#v1", clock.instant());
        assertThat(revocations.revokeDue("c1", 1)).isTrue();
        assertThat(state("c1", 1)).isEqualTo(VersionState.REVOKED);
        assertThat(overdue("c1")).isEmpty();
        assertThat(auditActions("c1")).doesNotContain("version.revoked-unacknowledged");
        assertThat(auditActions("c1").stream().filter("version.acknowledged"::equals)).hasSize(2);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void acksDuringGraceWaitForTheEndOfGrace(TestDatabases.Engine engine) throws Exception {
        start(engine);
        createAndRotate("c2");
        acks.acknowledge("c2", 2, "web", "consumer:web");
        acks.acknowledge("c2", 2, "worker", "consumer:worker");
        assertThat(state("c2", 1)).isEqualTo(VersionState.PREVIOUS);
        clock.advance(Duration.ofHours(1));
        assertThat(revocations.revokeDue("c2", 1)).isTrue();
        assertThat(state("c2", 1)).isEqualTo(VersionState.REVOKED);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void maxGracePeriodRevokesAndFlagsTheConsumersThatDidNotAcknowledge(TestDatabases.Engine engine) throws Exception {
        start(engine);
        createAndRotate("c3");
        acks.acknowledge("c3", 2, "web", "consumer:web");
        clock.advance(Duration.ofHours(3).minusSeconds(1));
        assertThat(revocations.revokeDue("c3", 1)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(revocations.revokeDue("c3", 1)).isTrue();
        assertThat(state("c3", 1)).isEqualTo(VersionState.REVOKED);
        assertThat(overdue("c3")).containsExactly("worker");
        Map<String, List<String>> overdueAll = store.read(d -> d.credentials().acknowledgementsOverdue(100));
        assertThat(overdueAll).containsEntry("c3", List.of("worker"));
        assertThat(auditActions("c3")).contains("version.revoked-unacknowledged");
        // A late ack clears the flag for that consumer.
        acks.acknowledge("c3", 2, "worker", "consumer:worker");
        assertThat(overdue("c3")).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void onlyTheVersionsOwnKeyAuthenticatesAndUnknownConsumersAndRevokedVersionsAreRefused(TestDatabases.Engine engine)
            throws Exception {
        start(engine);
        createAndRotate("c4");
        String key2 = key("c4");
        assertThat(acks.holdsVersionSecret("c4", 2, key2)).isTrue();
        assertThat(acks.holdsVersionSecret("c4", 2, key2 + "x")).isFalse();
        assertThat(acks.holdsVersionSecret("c4", 1, key2)).isFalse();
        assertThat(acks.holdsVersionSecret("c4", 9, key2)).isFalse();
        assertThat(acks.holdsVersionSecret("nope", 2, key2)).isFalse();

        assertThatThrownBy(() -> acks.acknowledge("c4", 2, "stranger", "consumer:stranger"))
                .isInstanceOfSatisfying(RejectedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RejectedException.Kind.INVALID);
                    assertThat(e.field()).isEqualTo("consumer");
                });
        revocations.revokeNow("c4", 1, dev.rotakey.core.RevocationReason.EMERGENCY, "test");
        assertThat(state("c4", 1)).isEqualTo(VersionState.REVOKED);
        assertThatThrownBy(() -> acks.acknowledge("c4", 1, "web", "consumer:web"))
                .isInstanceOfSatisfying(RejectedException.class,
                        e -> assertThat(e.kind()).isEqualTo(RejectedException.Kind.CONFLICT));
        // Nothing stored anywhere holds the key.
        acks.acknowledge("c4", 2, "web", "consumer:web");
        assertThat(store.read(d -> d.audit().list(null, null, Long.MAX_VALUE, 10_000)).toString()).doesNotContain(key2);
        assertThat(store.read(d -> d.acknowledgements().ofVersion("c4", 2)).toString()).doesNotContain(key2);
    }
}
