package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.PresentedKeyDao;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.LimitedTarget;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.TargetLimitsFactory;
import dev.rotakey.targets.files.LocalFilesTargetFactory;
import dev.rotakey.targets.postgres.PostgresProbe;
import dev.rotakey.targets.redis.RedisProbe;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rotation workflow with its real edges (a SoftHSM2 token, the local-files target, H2 and
 * PostgreSQL): the happy path, retries that end in a FAILED rotation with the current version
 * intact, and a process "killed" after every step — or in the middle of one — that resumes without
 * losing or duplicating a version.
 */
class RotationWorkflowIT {
    private static KeyBackend backend;

    @TempDir
    Path dir;

    private TestDatabase db;
    private TestClock clock;
    private RecordingScheduler scheduler;
    private Path files;

    /** Thrown by tests to stop a rotation dead, the way a killed process would. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String where) {
            super("simulated crash " + where);
        }
    }

    /** One daemon's services over the shared database, backend and files, built as the daemon builds them. */
    final class Node {
        final RotationExecutor executor;
        final RotationService rotations;
        final RevocationService revocations;
        final CredentialService credentials;
        final AgentService agents;
        final CertificateAuthorities authorities;
        final Store store = db.store();

        Node(Target target, RotationListener listener) {
            this(Map.of("local-files", target), listener);
        }

        Node(Map<String, Target> byName, RotationListener listener) {
            RotakeyComponents c = TestComponents.builder(clock, store, backend, byName, scheduler,
                    Map.of("agents-ca", agentsCa())).rotationListener(listener).build();
            executor = c.executor();
            rotations = c.rotations();
            revocations = c.revocations();
            credentials = c.credentials();
            agents = c.agents();
            authorities = c.authorities();
        }
    }

    /** The CA certificate credentials in these tests are issued by; created only by the tests that use it. */
    static CertificateAuthorityFactory agentsCa() {
        CertificateAuthorityFactory f = new CertificateAuthorityFactory();
        f.setBackend("hsm");
        f.setSubject("CN=Workflow Test CA,O=Rotakey");
        f.setTrustDomain("workflow.test");
        return f;
    }

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
            destroyCertificateKeys();
            db.close();
        }
    }

    private Target files() {
        LocalFilesTargetFactory f = new LocalFilesTargetFactory();
        f.setDirectory(files.toString());
        return f.build("local-files");
    }

    private Node start(TestDatabases.Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir.resolve("db"));
        clock = new TestClock(Instant.parse("2026-11-28T10:00:00Z"));
        scheduler = new RecordingScheduler();
        files = dir.resolve("delivered");
        Node node = new Node(files(), RotationListener.NONE);
        node.agents.create(new NewAgent("agent-1", "team@example.com", null, null, null, null), "test");
        return node;
    }

    private static NewCredential apiKey(String id) {
        return new NewCredential(id, "agent-1", "api-key", "hsm",
                new NewCredential.RotationSpec("P7D", null), "PT1H",
                List.of(Map.of("target", "local-files", "path", "agent-1/" + id)));
    }

    private String fileContent(String id) throws Exception {
        return Files.readString(files.resolve("agent-1/" + id), StandardCharsets.UTF_8);
    }

    private List<CredentialVersion> versions(String id) {
        return db.store().read(d -> d.versions().ofCredential(id));
    }

    /** The version whose digest the file's content has, or -1. */
    private int versionInFile(String id) throws Exception {
        byte[] content = fileContent(id).getBytes(StandardCharsets.UTF_8);
        for (CredentialVersion v : versions(id)) {
            if (MaterialDigests.matches(backend, content, v.digest())) {
                return v.version();
            }
        }
        return -1;
    }

    /** A verifier with the daemon's cache, dropped after each of the store's transactions as the daemon drops it. */
    private ApiKeyVerifier cachedVerifier() {
        NotifiedCache<List<String>, PresentedKeyDao.PresentedKey> keys = NotifiedCache.local(clock, 100,
                java.time.Duration.ofMinutes(1));
        db.store().afterEachTransaction(keys::invalidateAll);
        return new ApiKeyVerifier(db.store(), new KeyBackends(Map.of("hsm", backend)),
                new AuditLog(db.store(), clock, NodeIdentity.single("test-node")), keys, ApiKeyVerifier.Results.NONE,
                dev.rotakey.usage.UsageRecorder.NONE, clock);
    }

    private static void assertInvariants(List<CredentialVersion> versions) {
        assertThat(versions.stream().filter(v -> v.state() == VersionState.CURRENT)).hasSizeLessThanOrEqualTo(1);
        assertThat(versions.stream().filter(v -> v.state() == VersionState.PENDING)).hasSizeLessThanOrEqualTo(1);
        assertThat(versions.stream().map(CredentialVersion::version).distinct()).hasSameSizeAs(versions);
        for (int i = 0; i < versions.size(); i++) {
            assertThat(versions.get(i).version()).isEqualTo(i + 1);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void rotationPromotesTheNewVersionAndRevokesTheOldAfterGrace(TestDatabases.Engine engine) throws Exception {
        Node node = start(engine);
        CredentialService.Created created = node.credentials.create(apiKey("c1"), "test");
        assertThat(created.rotation().state()).isEqualTo(RotationState.SUCCEEDED);
        String key1 = fileContent("c1");
        assertThat(versionInFile("c1")).isEqualTo(1);

        clock.advance(Duration.ofMinutes(5));
        Rotation r = node.rotations.startAndRun("c1", RotationTrigger.OPERATOR, "test");
        assertThat(r.state()).isEqualTo(RotationState.SUCCEEDED);
        assertThat(fileContent("c1")).isNotEqualTo(key1);
        assertThat(versionInFile("c1")).isEqualTo(2);
        List<CredentialVersion> vs = versions("c1");
        assertInvariants(vs);
        assertThat(vs.get(0).state()).isEqualTo(VersionState.PREVIOUS);
        assertThat(vs.get(0).revokeAfter()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
        assertThat(scheduler.revocations).containsEntry("c1#v1", vs.get(0).revokeAfter());
        assertThat(scheduler.rotations.get("c1")).isAfterOrEqualTo(clock.instant().plus(Duration.ofDays(7)));

        // Not a millisecond early: the scheduled revocation reschedules itself until the grace is over.
        clock.advance(Duration.ofMinutes(59));
        assertThat(node.revocations.revokeDue("c1", 1)).isFalse();
        assertThat(versions("c1").get(0).state()).isEqualTo(VersionState.PREVIOUS);
        clock.advance(Duration.ofMinutes(1));
        assertThat(node.revocations.revokeDue("c1", 1)).isTrue();
        assertThat(versions("c1").get(0).state()).isEqualTo(VersionState.REVOKED);
        assertThat(versionInFile("c1")).isEqualTo(2);
        assertThat(node.revocations.revokeDue("c1", 1)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void failingVerificationIsRetriedThenFailsAndTheCurrentVersionStaysInPlace(TestDatabases.Engine engine) throws Exception {
        Node healthy = start(engine);
        healthy.credentials.create(apiKey("c2"), "test");
        String key1 = fileContent("c2");

        AtomicInteger verifies = new AtomicInteger();
        Target flaky = new DelegatingTarget(files()) {
            @Override
            public void verify(Delivery d) {
                verifies.incrementAndGet();
                throw new TargetException("consumer refuses the new key", true);
            }
        };
        Node node = new Node(flaky, RotationListener.NONE);
        Rotation r = node.rotations.startAndRun("c2", RotationTrigger.OPERATOR, "test");
        // Between delivery and promotion the file holds version 2: it is accepted, as PENDING.
        String pendingKey = fileContent("c2");
        assertThat(pendingKey).isNotEqualTo(key1);
        var verifier = cachedVerifier();
        assertThat(verifier.verify(pendingKey, "test").valid()).isTrue();
        assertThat(verifier.verify(pendingKey, "test").state()).isEqualTo("PENDING");
        for (int attempt = 1; attempt < 3; attempt++) {
            assertThat(r.state()).isEqualTo(RotationState.RUNNING);
            assertThat(r.step()).isEqualTo(RotationStep.VERIFY);
            assertThat(r.attempts()).isEqualTo(attempt);
            assertThat(scheduler.continuations).containsEntry(r.id(), r.nextAttemptAt());
            // The current key keeps verifying through the retries (PENDING keys are not accepted yet).
            assertThat(versions("c2").get(0).state()).isEqualTo(VersionState.CURRENT);
            // Early runs do nothing: the backoff is honoured.
            assertThat(node.executor.run(r.id()).attempts()).isEqualTo(attempt);
            clock.set(r.nextAttemptAt());
            r = node.executor.run(r.id());
        }
        assertThat(r.state()).isEqualTo(RotationState.FAILED);
        assertThat(r.lastError()).contains("consumer refuses the new key");
        assertThat(verifies.get()).isEqualTo(3);
        List<CredentialVersion> vs = versions("c2");
        assertInvariants(vs);
        assertThat(vs).extracting(CredentialVersion::state).containsExactly(VersionState.CURRENT, VersionState.FAILED);
        assertThat(fileContent("c2")).isEqualTo(key1);
        assertThat(verifier.verify(pendingKey, "test").valid()).isFalse();
        assertThat(verifier.verify(pendingKey, "test").reason()).isEqualTo("failed");
        assertThat(verifier.verify(key1, "test").valid()).isTrue();
        List<Rotation> failed = db.store().read(d -> d.rotations().latestFailed(5));
        assertThat(failed).extracting(Rotation::id).contains(r.id());
        // An operator's rotation that fails leaves the credential's schedule as it was.
        Instant next = db.store().read(d -> d.credentials().find("c2")).orElseThrow().nextRotationAt();
        assertThat(next).isAfter(clock.instant().plus(Duration.ofDays(6)));
        assertThat(scheduler.rotations).containsEntry("c2", next);
        // And a later successful rotation takes version 3: no number is reused.
        Rotation again = healthy.rotations.startAndRun("c2", RotationTrigger.OPERATOR, "test");
        assertThat(again.state()).isEqualTo(RotationState.SUCCEEDED);
        assertThat(again.version()).isEqualTo(3);
        List<Rotation> stillFailed = db.store().read(d -> d.rotations().latestFailed(5));
        assertThat(stillFailed).isEmpty();
    }

    /**
     * Issue 11, defect 1: a target that refuses the new version and then refuses its clean-up too. The rotation
     * ends FAILED with the version FAILED (never PENDING for good), the other target is put back at once, the
     * removal is retried until the target recovers, and the credential rotates again meanwhile and afterwards.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aRotationWhoseCleanUpAlsoFailsEndsFailedAndTheCredentialRotatesAgain(TestDatabases.Engine engine) throws Exception {
        start(engine);
        java.util.concurrent.atomic.AtomicBoolean refusing = new java.util.concurrent.atomic.AtomicBoolean(false);
        LocalFilesTargetFactory otherFiles = new LocalFilesTargetFactory();
        otherFiles.setDirectory(dir.resolve("consumer").toString());
        Target consumer = new DelegatingTarget(otherFiles.build("consumer")) {
            @Override
            public void verify(Delivery d) {
                refuseWhile(refusing);
                super.verify(d);
            }

            @Override
            public void discard(Revocation rv) {
                refuseWhile(refusing);
                super.discard(rv);
            }
        };
        // The refusing binding comes first: its failure must not keep local-files from being put back.
        Node node = new Node(Map.of("consumer", consumer, "local-files", files()), RotationListener.NONE);
        node.credentials.create(new NewCredential("c20", "agent-1", "api-key", "hsm",
                new NewCredential.RotationSpec("P7D", null), "PT1H",
                List.of(Map.of("target", "consumer", "path", "c20"), Map.of("target", "local-files", "path", "agent-1/c20"))),
                "test");
        String key1 = fileContent("c20");
        Path consumerFile = dir.resolve("consumer/c20");

        refusing.set(true);
        Rotation r = node.rotations.startAndRun("c20", RotationTrigger.OPERATOR, "test");
        assertThat(r.state()).isEqualTo(RotationState.FAILED);
        assertThat(r.lastError()).contains("HTTP 403").contains("clean-up incomplete");
        CredentialVersion failed = versions("c20").get(1);
        assertThat(failed.state()).isEqualTo(VersionState.FAILED);
        assertThat(failed.revokeError()).contains("HTTP 403");
        assertThat(scheduler.revocations).containsKey("c20#v2");
        // I1: the target that cleaned up holds the CURRENT key again; the refusing one still holds version 2.
        assertThat(fileContent("c20")).isEqualTo(key1);
        String leftover = Files.readString(consumerFile);
        assertThat(leftover).isNotEqualTo(key1);
        assertInvariants(versions("c20"));
        long outstanding = db.store().read(d -> d.versions().failedRevocations());
        assertThat(outstanding).isEqualTo(1L);
        assertThat(new dev.rotakey.health.FailedRotationsHealthCheck(db.store()).execute().isHealthy()).isFalse();

        // The next rotation runs, but delivers nothing over the leftover (which would lose the CURRENT key's
        // backup at the consumer): it waits for the removal and, the target still refusing, fails cleanly.
        Rotation second = node.rotations.startAndRun("c20", RotationTrigger.OPERATOR, "test");
        while (second.state() == RotationState.RUNNING) {
            clock.set(second.nextAttemptAt());
            second = node.executor.run(second.id());
        }
        assertThat(second.version()).isEqualTo(3);
        assertThat(second.state()).isEqualTo(RotationState.FAILED);
        assertThat(second.lastError()).contains("failed version 2 is still to be removed");
        assertThat(versions("c20").get(2).state()).isEqualTo(VersionState.FAILED);
        // Its own clean-up is refused too (this consumer refuses every removal), so it is outstanding as well.
        assertThat(versions("c20").get(2).revokeError()).contains("HTTP 403");
        assertThat(fileContent("c20")).isEqualTo(key1);
        assertThat(Files.readString(consumerFile)).isEqualTo(leftover);

        // The removal is retried, never given up, while the target still refuses.
        clock.set(scheduler.revocations.get("c20#v2"));
        int attempts = versions("c20").get(1).revokeAttempts();
        assertThat(node.revocations.revokeDue("c20", 2)).isFalse();
        assertThat(versions("c20").get(1).revokeAttempts()).isEqualTo(attempts + 1);
        assertThat(scheduler.revocations.get("c20#v2")).isAfter(clock.instant());

        // Once the target recovers, the next rotation finishes the removal first, then succeeds.
        refusing.set(false);
        Rotation ok = node.rotations.startAndRun("c20", RotationTrigger.OPERATOR, "test");
        assertThat(ok.state()).isEqualTo(RotationState.SUCCEEDED);
        assertThat(ok.version()).isEqualTo(4);
        assertThat(versions("c20")).allSatisfy(v -> assertThat(v.revokeError()).isNull());
        long none = db.store().read(d -> d.versions().failedRevocations());
        assertThat(none).isZero();
        assertThat(versionInFile("c20")).isEqualTo(4);
        assertThat(Files.readString(consumerFile)).isEqualTo(fileContent("c20"));
        assertThat(versions("c20")).extracting(CredentialVersion::state).containsExactly(VersionState.PREVIOUS,
                VersionState.FAILED, VersionState.FAILED, VersionState.CURRENT);
        // The consumer's backup is the previous key, which it may still use during the grace period.
        assertThat(Files.readString(dir.resolve("consumer/.c20.rotakey-previous"))).isEqualTo(key1);
    }

    private static void refuseWhile(java.util.concurrent.atomic.AtomicBoolean refusing) {
        if (refusing.get()) {
            throw new TargetException("consumer answered HTTP 403", false);
        }
    }

    /**
     * A database in which an earlier release left a version PENDING after its rotation ended: start-up marks it
     * FAILED, puts the target back as it was, and the next rotation succeeds instead of dying in promote.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aVersionStrandedPendingByAnEarlierReleaseIsRepairedAtStartUp(TestDatabases.Engine engine) throws Exception {
        start(engine);
        new Node(files(), RotationListener.NONE).credentials.create(apiKey("c21"), "test");
        String key1 = fileContent("c21");
        Node doomed = new Node(files(), (before, after, took) -> {
            if (before.step() == RotationStep.DELIVER && after.step() != RotationStep.DELIVER) {
                throw new SimulatedCrash("after delivery");
            }
        });
        Rotation stuck = doomed.rotations.start("c21", RotationTrigger.OPERATOR, "test", false);
        assertThatThrownBy(() -> doomed.executor.run(stuck.id())).isInstanceOf(SimulatedCrash.class);
        db.jdbi().useHandle(h -> h.execute("UPDATE rotations SET state = 'FAILED', step = 'DONE' WHERE id = ?", stuck.id()));
        assertThat(versions("c21").get(1).state()).isEqualTo(VersionState.PENDING);
        assertThat(versionInFile("c21")).isEqualTo(2);

        Node restarted = new Node(files(), RotationListener.NONE);
        assertThat(restarted.rotations.resumeInFlight()).isZero();
        CredentialVersion repaired = versions("c21").get(1);
        assertThat(repaired.state()).isEqualTo(VersionState.FAILED);
        assertThat(scheduler.revocations).containsKey("c21#v2");
        assertThat(restarted.revocations.revokeDue("c21", 2)).isTrue();
        assertThat(fileContent("c21")).isEqualTo(key1);

        Rotation next = restarted.rotations.startAndRun("c21", RotationTrigger.OPERATOR, "test");
        assertThat(next.state()).isEqualTo(RotationState.SUCCEEDED);
        assertThat(next.version()).isEqualTo(3);
        assertInvariants(versions("c21"));
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aDueRotationThatFailsIsTriedAgainAfterRetryFailedAfter(TestDatabases.Engine engine) throws Exception {
        start(engine).credentials.create(apiKey("c7"), "test");
        Instant due = db.store().read(d -> d.credentials().find("c7")).orElseThrow().nextRotationAt();
        Node node = new Node(new DelegatingTarget(files()) {
            @Override
            public void deliver(Delivery d) {
                throw new TargetException("disk full", false);
            }
        }, RotationListener.NONE);
        clock.set(due);
        node.rotations.onScheduledRotation("c7");
        Rotation r = db.store().read(d -> d.rotations().ofCredential("c7", 1)).get(0);
        assertThat(r.trigger()).isEqualTo(RotationTrigger.SCHEDULE);
        assertThat(r.state()).isEqualTo(RotationState.FAILED);
        assertThat(r.lastError()).contains("disk full");
        Instant next = db.store().read(d -> d.credentials().find("c7")).orElseThrow().nextRotationAt();
        assertThat(next).isEqualTo(due.plus(Duration.ofHours(1)));
        assertThat(scheduler.rotations).containsEntry("c7", next);
        assertThat(versions("c7")).extracting(CredentialVersion::state)
                .containsExactly(VersionState.CURRENT, VersionState.FAILED);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void anEmergencyRevocationRefusesTheKeyAtOnceEvenWhileATargetLagsBehind(TestDatabases.Engine engine) throws Exception {
        Node healthy = start(engine);
        healthy.credentials.create(apiKey("c8"), "test");
        String key1 = fileContent("c8");
        healthy.rotations.startAndRun("c8", RotationTrigger.OPERATOR, "test");
        Node lagging = new Node(new DelegatingTarget(files()) {
            @Override
            public void revoke(Revocation r) {
                throw new TargetException("consumer unreachable", true);
            }
        }, RotationListener.NONE);
        assertThat(lagging.revocations.revokeNow("c8", 1, dev.rotakey.core.RevocationReason.EMERGENCY, "test")).isFalse();
        CredentialVersion v1 = versions("c8").get(0);
        assertThat(v1.state()).isEqualTo(VersionState.REVOKED);
        assertThat(v1.revokeError()).contains("consumer unreachable");
        var verifier = cachedVerifier();
        assertThat(verifier.verify(key1, "test").valid()).isFalse();
        long failing = db.store().read(d -> d.versions().failedRevocations());
        assertThat(failing).isEqualTo(1L);
        Instant retry = scheduler.revocations.get("c8#v1");
        assertThat(retry).isAfter(clock.instant());
        // Never given up (I4): past rotation.retry.maxAttempts (3 here), every failure schedules the next try.
        for (int attempt = 2; attempt <= 5; attempt++) {
            clock.set(retry);
            assertThat(lagging.revocations.revokeDue("c8", 1)).isFalse();
            assertThat(versions("c8").get(0).revokeAttempts()).isEqualTo(attempt);
            retry = scheduler.revocations.get("c8#v1");
            assertThat(retry).isAfter(clock.instant()).isBeforeOrEqualTo(clock.instant().plusSeconds(4));
        }

        clock.set(retry);
        assertThat(healthy.revocations.revokeDue("c8", 1)).isTrue();
        assertThat(versions("c8").get(0).revokeError()).isNull();
        assertThat(versions("c8").get(0).state()).isEqualTo(VersionState.REVOKED);
        long stillFailing = db.store().read(d -> d.versions().failedRevocations());
        assertThat(stillFailing).isZero();
    }

    /** An emergency while a rotation is stuck retrying: that rotation becomes the emergency, no 409. */
    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void anEmergencyDuringARunningRotationEscalatesItInsteadOfBeingRefused(TestDatabases.Engine engine) throws Exception {
        start(engine);
        new Node(files(), RotationListener.NONE).credentials.create(apiKey("c22"), "test");
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean(true);
        Node node = new Node(new DelegatingTarget(files()) {
            @Override
            public void verify(Delivery d) {
                if (down.get()) {
                    throw new TargetException("consumer unreachable", true);
                }
                super.verify(d);
            }
        }, RotationListener.NONE);
        Rotation stuck = node.rotations.startAndRun("c22", RotationTrigger.OPERATOR, "test");
        assertThat(stuck.state()).isEqualTo(RotationState.RUNNING);
        assertThat(stuck.emergency()).isFalse();

        Rotation emergency = node.rotations.emergencyRevoke("c22", "test");
        assertThat(emergency.id()).isEqualTo(stuck.id());
        assertThat(emergency.emergency()).isTrue();
        // I1: until the new version is promoted, version 1 stays CURRENT.
        assertThat(versions("c22").get(0).state()).isEqualTo(VersionState.CURRENT);

        down.set(false);
        clock.set(stuck.nextAttemptAt());
        assertThat(node.executor.run(stuck.id()).state()).isEqualTo(RotationState.SUCCEEDED);
        assertThat(versions("c22")).extracting(CredentialVersion::state)
                .containsExactly(VersionState.REVOKED, VersionState.CURRENT);
        assertThat(versions("c22").get(0).revokeReason()).isEqualTo(dev.rotakey.core.RevocationReason.EMERGENCY);
    }

    /** A rotation discarding its failed version cannot promote anything: the emergency is refused, saying why. */
    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void anEmergencyDuringACleanUpIsRefusedSayingToRepeatIt(TestDatabases.Engine engine) throws Exception {
        start(engine);
        new Node(files(), RotationListener.NONE).credentials.create(apiKey("c23"), "test");
        Node node = new Node(new DelegatingTarget(files()) {
            @Override
            public void verify(Delivery d) {
                throw new TargetException("consumer refuses", false);
            }

            @Override
            public void discard(Revocation rv) {
                throw new TargetException("consumer unreachable", true);
            }
        }, RotationListener.NONE);
        Rotation cleaning = node.rotations.startAndRun("c23", RotationTrigger.OPERATOR, "test");
        assertThat(cleaning.step()).isEqualTo(RotationStep.CLEANUP);
        assertThatThrownBy(() -> node.rotations.emergencyRevoke("c23", "test"))
                .isInstanceOf(dev.rotakey.core.RejectedException.class)
                .hasMessageContaining("still cleaning up").hasMessageContaining("repeat the emergency revoke");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aRotationCannotStartTwice(TestDatabases.Engine engine) throws Exception {
        Node node = start(engine);
        node.credentials.create(apiKey("c3"), "test");
        Rotation first = node.rotations.start("c3", RotationTrigger.OPERATOR, "test", false);
        assertThatThrownBy(() -> node.rotations.start("c3", RotationTrigger.OPERATOR, "test", false))
                .hasMessageContaining("already rotating");
        assertThat(node.executor.run(first.id()).state()).isEqualTo(RotationState.SUCCEEDED);
        // Running a finished rotation again changes nothing.
        assertThat(node.executor.run(first.id()).state()).isEqualTo(RotationState.SUCCEEDED);
        assertInvariants(versions("c3"));
        assertThat(versions("c3")).hasSize(2);
    }

    static Stream<Arguments> crashPoints() {
        return Stream.of(TestDatabases.Engine.values()).flatMap(e -> Stream.of(
                RotationStep.CREATE, RotationStep.DELIVER, RotationStep.VERIFY, RotationStep.PROMOTE)
                .map(s -> Arguments.of(e, s)));
    }

    @ParameterizedTest(name = "{0}: killed after {1}")
    @MethodSource("crashPoints")
    void aRotationKilledAfterAnyStepResumesWithoutLosingOrDuplicatingAVersion(TestDatabases.Engine engine,
                                                                              RotationStep crashAfter) throws Exception {
        start(engine);
        new Node(files(), RotationListener.NONE).credentials.create(apiKey("c4"), "test");
        String key1 = fileContent("c4");

        Node doomed = new Node(files(), (before, after, took) -> {
            if (before.step() == crashAfter && after.step() != crashAfter) {
                throw new SimulatedCrash("after " + crashAfter);
            }
        });
        Rotation started = doomed.rotations.start("c4", RotationTrigger.OPERATOR, "test", false);
        assertThatThrownBy(() -> doomed.executor.run(started.id())).isInstanceOf(SimulatedCrash.class);
        assertInvariants(versions("c4"));
        // Whatever happened, version 1 is still usable: CURRENT until version 2 is promoted.
        assertThat(versions("c4").get(0).state()).isIn(VersionState.CURRENT, VersionState.PREVIOUS);

        Node restarted = new Node(files(), RotationListener.NONE);
        int resumed = restarted.rotations.resumeInFlight();
        assertThat(resumed).isEqualTo(crashAfter == RotationStep.PROMOTE ? 0 : 1);
        Rotation r = restarted.executor.run(started.id());
        assertThat(r.state()).isEqualTo(RotationState.SUCCEEDED);

        List<CredentialVersion> vs = versions("c4");
        assertInvariants(vs);
        assertThat(vs).extracting(CredentialVersion::state).containsExactly(VersionState.PREVIOUS, VersionState.CURRENT);
        assertThat(versionInFile("c4")).isEqualTo(2);
        assertThat(fileContent("c4")).isNotEqualTo(key1);
        boolean recreated = db.store().read(d -> d.audit().list("credential:c4", null, Long.MAX_VALUE, 200)).stream()
                .anyMatch(e -> e.action().equals("rotation.material-recreated"));
        assertThat(recreated).isEqualTo(crashAfter == RotationStep.CREATE || crashAfter == RotationStep.DELIVER);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aProcessKilledInTheMiddleOfDeliveryResumesAndRedelivers(TestDatabases.Engine engine) throws Exception {
        start(engine);
        new Node(files(), RotationListener.NONE).credentials.create(apiKey("c5"), "test");
        Target dying = new DelegatingTarget(files()) {
            @Override
            public void deliver(Delivery d) {
                super.deliver(d);
                throw new SimulatedCrash("after writing the file, before recording the delivery");
            }
        };
        Node doomed = new Node(dying, RotationListener.NONE);
        Rotation started = doomed.rotations.start("c5", RotationTrigger.OPERATOR, "test", false);
        assertThatThrownBy(() -> doomed.executor.run(started.id())).isInstanceOf(SimulatedCrash.class);
        // The file already holds material of version 2 that nobody will ever know again.
        assertThat(versionInFile("c5")).isEqualTo(2);

        Node restarted = new Node(files(), RotationListener.NONE);
        assertThat(restarted.rotations.resumeInFlight()).isEqualTo(1);
        assertThat(restarted.executor.run(started.id()).state()).isEqualTo(RotationState.SUCCEEDED);
        assertInvariants(versions("c5"));
        assertThat(versionInFile("c5")).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void anUnavailableBackendFailsTheRotationButNotTheCurrentKey(TestDatabases.Engine engine) throws Exception {
        Node node = start(engine);
        node.credentials.create(apiKey("c6"), "test");
        String key1 = fileContent("c6");
        KeyBackend offline = SoftHsmTokens.factory("rotakey-no-such-token").build("hsm");
        offline.start();
        assertThat(offline.status().healthy()).isFalse();
        KeyBackend saved = backend;
        backend = offline;
        try {
            Node broken = new Node(files(), RotationListener.NONE);
            Rotation r = broken.rotations.startAndRun("c6", RotationTrigger.OPERATOR, "test");
            while (r.state() == RotationState.RUNNING) {
                clock.set(r.nextAttemptAt() == null ? clock.instant() : r.nextAttemptAt());
                r = broken.executor.run(r.id());
            }
            assertThat(r.state()).isEqualTo(RotationState.FAILED);
            assertThat(r.lastError()).contains("create");
        } finally {
            backend = saved;
            offline.close();
        }
        assertThat(versions("c6")).extracting(CredentialVersion::state).containsExactly(VersionState.CURRENT);
        assertThat(fileContent("c6")).isEqualTo(key1);
    }

    // ---- Certificate credentials: the same workflow with a CA in the token ----

    private Node certificateNode;

    private Node startWithCa(TestDatabases.Engine engine) throws Exception {
        Node node = start(engine);
        node.authorities.start();
        certificateNode = node;
        return node;
    }

    private void destroyCertificateKeys() {
        if (certificateNode == null) {
            return;
        }
        // The token is shared by every test run: leave no CA or leaf key behind.
        Store store = certificateNode.store;
        store.read(d -> d.certificateAuthorities().generations("agents-ca"))
                .forEach(g -> backend.destroySigningKey(g.keyAlias()));
        for (String id : store.read(d -> d.credentials().idsOfAgent("agent-1"))) {
            for (CredentialVersion v : versions(id)) {
                store.read(d -> d.versions().keyRef(id, v.version())).ifPresent(backend::destroySigningKey);
            }
        }
        certificateNode = null;
    }

    private static NewCredential certificate(String id, String custody) {
        return new NewCredential(id, "agent-1", "certificate", "hsm", null, "PT1H",
                List.of(Map.of("target", "local-files", "path", "agent-1/" + id)),
                "agents-ca", "EC_P256", "P30D", null, List.of("agent-1.internal"), List.of(), custody);
    }

    private java.security.cert.X509Certificate deliveredCertificate(String id) throws Exception {
        try (var in = Files.newInputStream(files.resolve("agent-1/" + id + "/cert.pem"))) {
            return (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aCertificateIsRenewedAtTwoThirdsOfItsValidityAndTheOldOneRevokedIntoTheCrlAfterGrace(TestDatabases.Engine engine)
            throws Exception {
        Node node = startWithCa(engine);
        CredentialService.Created created = node.credentials.create(certificate("cert1", null), "test");
        assertThat(created.rotation().state()).isEqualTo(RotationState.SUCCEEDED);
        var first = deliveredCertificate("cert1");
        assertThat(first.getSubjectX500Principal().getName()).isEqualTo("CN=agent-1");
        assertThat(Files.readString(files.resolve("agent-1/cert1/key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(created.credential().policy().every()).isEqualTo(Duration.ofDays(20));
        assertThat(scheduler.rotations.get("cert1")).isBetween(clock.instant().plus(Duration.ofDays(20)),
                clock.instant().plus(Duration.ofDays(20)).plus(Duration.ofHours(1)));
        var summaries = node.credentials.certificates(node.credentials.get("cert1"));
        assertThat(summaries.get(1).serial()).isEqualTo(first.getSerialNumber().toString(16));
        assertThat(summaries.get(1).notAfter()).isEqualTo(first.getNotAfter().toInstant());

        clock.advance(Duration.ofDays(20));
        Rotation r = node.rotations.startAndRun("cert1", RotationTrigger.SCHEDULE, "scheduler");
        assertThat(r.state()).isEqualTo(RotationState.SUCCEEDED);
        var second = deliveredCertificate("cert1");
        assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
        assertThat(versionOfCertificate("cert1")).isEqualTo(2);

        clock.advance(Duration.ofHours(1));
        assertThat(node.revocations.revokeDue("cert1", 1)).isTrue();
        assertThat(versions("cert1").get(0).state()).isEqualTo(VersionState.REVOKED);
        summaries = node.credentials.certificates(node.credentials.get("cert1"));
        assertThat(summaries.get(1).revokedAt()).isNotNull();
        assertThat(summaries.get(2).revokedAt()).isNull();
        // The revocation matched nothing at the target: version 2's files are untouched.
        assertThat(deliveredCertificate("cert1").getSerialNumber()).isEqualTo(second.getSerialNumber());
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aLeafKeyInTheHsmIsNamedByItsUriAndDestroyedWhenItsVersionIsRevoked(TestDatabases.Engine engine) throws Exception {
        Node node = startWithCa(engine);
        node.credentials.create(certificate("cert2", "hsm"), "test");
        String alias = node.store.read(d -> d.versions().keyRef("cert2", 1)).orElseThrow();
        assertThat(Files.readString(files.resolve("agent-1/cert2/key.uri")).trim())
                .isEqualTo("pkcs11:token=" + SoftHsmTokens.WORKFLOW + ";object=" + alias + ";type=private");
        assertThat(files.resolve("agent-1/cert2/key.pem")).doesNotExist();
        assertThat(backend.signingKey(alias)).isPresent();
        assertThat(backend.signingKey(alias).get().publicKey()).isEqualTo(deliveredCertificate("cert2").getPublicKey());

        Rotation emergency = node.rotations.emergencyRevoke("cert2", "test");
        assertThat(node.executor.run(emergency.id()).state()).isEqualTo(RotationState.SUCCEEDED);
        assertThat(backend.signingKey(alias)).isEmpty();
        assertThat(keyRef(node, "cert2", 1)).isEmpty();
        assertThat(node.credentials.certificates(node.credentials.get("cert2")).get(1).revokedAt()).isNotNull();
        // The CA's own key survives the leaf's deletion (STACK-NOTES: deleteEntry pitfall).
        String caAlias = node.store.read(d -> d.certificateAuthorities().generations("agents-ca")).get(0).keyAlias();
        assertThat(backend.signingKey(caAlias)).isPresent();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aFailedCertificateRotationRevokesThePendingCertificateAndLeavesTheCurrentOneInPlace(TestDatabases.Engine engine)
            throws Exception {
        Node node = startWithCa(engine);
        node.credentials.create(certificate("cert3", "hsm"), "test");
        var first = deliveredCertificate("cert3");
        Node failing = new Node(new DelegatingTarget(files()) {
            @Override
            public void verify(Delivery d) {
                throw new TargetException("consumer refuses the certificate", false);
            }
        }, RotationListener.NONE);
        Rotation r = failing.rotations.startAndRun("cert3", RotationTrigger.OPERATOR, "test");
        assertThat(r.state()).isEqualTo(RotationState.FAILED);
        assertThat(versions("cert3")).extracting(CredentialVersion::state)
                .containsExactly(VersionState.CURRENT, VersionState.FAILED);
        assertThat(deliveredCertificate("cert3").getSerialNumber()).isEqualTo(first.getSerialNumber());
        assertThat(node.credentials.certificates(node.credentials.get("cert3")).get(2).revokedAt()).isNotNull();
        assertThat(keyRef(node, "cert3", 2)).isEmpty();
        assertThat(keyRef(node, "cert3", 1)).isPresent();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void certificateRequestsThatCannotBeHonouredAreRefusedNamingTheField(TestDatabases.Engine engine) throws Exception {
        Node node = startWithCa(engine);
        Map<String, NewCredential> bad = new java.util.LinkedHashMap<>();
        NewCredential ok = certificate("bad", null);
        bad.put("keySpec", with(ok, "keySpec", "ED25519"));
        bad.put("ca", with(ok, "ca", "no-such-ca"));
        bad.put("validity", with(ok, "validity", "P36500D"));
        bad.put("gracePeriod", new NewCredential("bad", "agent-1", "certificate", "hsm", null, "P30D",
                ok.targets(), "agents-ca", null, "P1D", null, null, null, null));
        bad.put("renewAt", new NewCredential("bad", "agent-1", "certificate", "hsm", null, "PT1H",
                ok.targets(), "agents-ca", null, "P1D", 1.5, null, null, null));
        bad.put("dnsNames[0]", new NewCredential("bad", "agent-1", "certificate", "hsm", null, "PT1H",
                ok.targets(), "agents-ca", null, "P1D", null, List.of("not a name"), null, null));
        bad.put("uris[0]", new NewCredential("bad", "agent-1", "certificate", "hsm", null, "PT1H",
                ok.targets(), "agents-ca", null, "P1D", null, null, List.of("spiffe://evil/agent/root"), null));
        bad.put("keyCustody", with(ok, "keyCustody", "paper"));
        bad.put("ca ", new NewCredential("bad", "agent-1", "api-key", "hsm", null, "PT1H",
                ok.targets(), "agents-ca", null, null, null, null, null, null));
        for (Map.Entry<String, NewCredential> e : bad.entrySet()) {
            assertThatThrownBy(() -> node.credentials.create(e.getValue(), "test"))
                    .as(e.getKey())
                    .isInstanceOf(dev.rotakey.core.RejectedException.class)
                    .hasFieldOrPropertyWithValue("field", e.getKey().trim());
        }
        java.util.Optional<dev.rotakey.core.Credential> stored = node.store.read(d -> d.credentials().find("bad"));
        assertThat(stored).isEmpty();
    }

    private static NewCredential password(String id, Integer length, String alphabet) {
        return new NewCredential(id, "agent-1", "password", "hsm",
                new NewCredential.RotationSpec("P7D", null), "PT1H",
                List.of(Map.of("target", "local-files", "path", "agent-1/" + id)),
                null, null, null, null, null, null, null, length, alphabet);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void passwordCredentialsAreGeneratedDeliveredAsOneFileAndStoredOnlyAsADigest(TestDatabases.Engine engine)
            throws Exception {
        Node node = start(engine);
        node.credentials.create(password("pw1", 40, null), "test");
        String first = fileContent("pw1");
        assertThat(first).hasSize(40);
        assertThat(first.chars()).allMatch(ch -> dev.rotakey.core.PasswordPolicy.DEFAULT_ALPHABET.indexOf(ch) >= 0);
        assertThat(versionInFile("pw1")).isEqualTo(1);
        // Only the HMAC digest reaches the database, never the password.
        assertThat(versions("pw1").get(0).digest()).doesNotContain(first)
                .isEqualTo(MaterialDigests.digest(backend, first.getBytes(StandardCharsets.UTF_8)));

        clock.advance(Duration.ofMinutes(5));
        assertThat(node.rotations.startAndRun("pw1", RotationTrigger.OPERATOR, "test").state())
                .isEqualTo(RotationState.SUCCEEDED);
        assertThat(fileContent("pw1")).hasSize(40).isNotEqualTo(first);
        assertThat(versionInFile("pw1")).isEqualTo(2);

        // The policy survives a round trip through the database and shows in the view.
        dev.rotakey.core.Credential stored = node.credentials.get("pw1");
        assertThat(stored.password()).isEqualTo(new dev.rotakey.core.PasswordPolicy(40,
                dev.rotakey.core.PasswordPolicy.DEFAULT_ALPHABET));
        dev.rotakey.api.CredentialView view = dev.rotakey.api.CredentialView.of(stored, versions("pw1"), Map.of(), null);
        assertThat(view.type()).isEqualTo("password");
        assertThat(view.length()).isEqualTo(40);
        assertThat(view.alphabet()).isEqualTo(dev.rotakey.core.PasswordPolicy.DEFAULT_ALPHABET);
        String json = io.dropwizard.jackson.Jackson.newObjectMapper().writeValueAsString(view);
        assertThat(json).contains("\"length\":40").doesNotContain(fileContent("pw1")).doesNotContain(first);

        // A password is not an API key: the verify endpoint never vouches for one, current or not.
        var verifier = cachedVerifier();
        assertThat(verifier.verify(fileContent("pw1"), "test").valid()).isFalse();
        assertThat(verifier.verify(fileContent("pw1"), "test").agent()).isNull();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void passwordsAvoidTheCharactersATargetRefuses(TestDatabases.Engine engine) throws Exception {
        start(engine);
        java.util.Set<Character> lower = new java.util.HashSet<>();
        for (char ch = 'a'; ch <= 'z'; ch++) {
            lower.add(ch);
        }
        Node node = new Node(new DelegatingTarget(files()) {
            @Override
            public java.util.Set<Character> refusedCharacters(TargetBinding binding) {
                return lower;
            }
        }, RotationListener.NONE);
        node.credentials.create(password("pw2", 128, "abcdefghijklmnopqrstuvwxyz0123456789"), "test");
        assertThat(fileContent("pw2")).hasSize(128).matches("[0-9]{128}");

        assertThatThrownBy(() -> node.credentials.create(password("pw3", null, "abcdefghijklmn0123"), "test"))
                .isInstanceOf(dev.rotakey.core.RejectedException.class)
                .hasFieldOrPropertyWithValue("field", "alphabet")
                .hasMessageContaining("at least 10");
        assertThat(node.store.read((dev.rotakey.db.Daos d) -> d.credentials().find("pw3")).isEmpty()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void passwordFieldsThatCannotBeHonouredAreRefusedNamingTheField(TestDatabases.Engine engine) throws Exception {
        Node node = start(engine);
        Map<String, NewCredential> bad = new java.util.LinkedHashMap<>();
        bad.put("length", password("bad", 15, null));
        bad.put("length ", password("bad", 129, null));
        bad.put("alphabet", password("bad", null, "abcdefghi"));
        bad.put("alphabet ", password("bad", null, "abcdefghijj"));
        bad.put("alphabet  ", password("bad", null, "abcdefghij k"));
        bad.put("  length", new NewCredential("bad", "agent-1", "api-key", "hsm", null, "PT1H",
                apiKey("bad").targets(), null, null, null, null, null, null, null, 32, null));
        bad.put("  alphabet", new NewCredential("bad", "agent-1", "api-key", "hsm", null, "PT1H",
                apiKey("bad").targets(), null, null, null, null, null, null, null, null, "abcdefghijk"));
        bad.put("validity", new NewCredential("bad", "agent-1", "password", "hsm", null, "PT1H",
                apiKey("bad").targets(), null, null, "P1D", null, null, null, null, null, null));
        for (Map.Entry<String, NewCredential> e : bad.entrySet()) {
            assertThatThrownBy(() -> node.credentials.create(e.getValue(), "test"))
                    .as(e.getKey())
                    .isInstanceOf(dev.rotakey.core.RejectedException.class)
                    .hasFieldOrPropertyWithValue("kind", dev.rotakey.core.RejectedException.Kind.INVALID)
                    .hasFieldOrPropertyWithValue("field", e.getKey().trim());
        }
        assertThat(node.store.read((dev.rotakey.db.Daos d) -> d.credentials().find("bad")).isEmpty()).isTrue();
    }

    /**
     * A password bound to the machine's real Redis and to a file: agents can log in with the old and
     * the new password during the grace period and only with the new one after revocation; a Redis
     * that is down during the next rotation gives retries, then a FAILED rotation, and the current
     * password keeps working.
     */
    @org.junit.jupiter.api.Test
    void passwordOnRedisOverlapsDuringGraceAndSurvivesAnOutage() throws Exception {
        try (RedisProbe redis = new RedisProbe()) {
            start(TestDatabases.Engine.H2);
            String user = redis.newUser();
            Node node = new Node(Map.of("local-files", files(), "redis-main",
                    RedisProbe.factory(RedisProbe.PORT).build("redis-main")), RotationListener.NONE);
            NewCredential req = new NewCredential("pw-redis", "agent-1", "password", "hsm",
                    new NewCredential.RotationSpec("P7D", null), "PT1H",
                    List.of(Map.of("target", "local-files", "path", "agent-1/pw-redis"),
                            Map.of("target", "redis-main", "user", user)),
                    null, null, null, null, null, null, null, 24, null);
            node.credentials.create(req, "test");
            String v1 = fileContent("pw-redis");
            assertThat(v1).hasSize(24);
            assertThat(RedisProbe.authenticates(user, v1)).isTrue();

            clock.advance(Duration.ofMinutes(5));
            assertThat(node.rotations.startAndRun("pw-redis", RotationTrigger.OPERATOR, "test").state())
                    .isEqualTo(RotationState.SUCCEEDED);
            String v2 = fileContent("pw-redis");
            assertThat(v2).isNotEqualTo(v1);
            // Grace period: agents that have not picked up the new password yet still get in.
            assertThat(RedisProbe.authenticates(user, v1)).isTrue();
            assertThat(RedisProbe.authenticates(user, v2)).isTrue();
            // What the database holds to find each password in Redis: a short reference, never the password.
            List<String> refs = db.store().read((dev.rotakey.db.Daos d) -> d.deliveries().references("pw-redis", 2, 1));
            assertThat(refs).hasSize(1).allSatisfy(ref -> assertThat(ref).hasSize(8).isNotEqualTo(v2));
            assertThat(db.store().read((dev.rotakey.db.Daos d) -> d.deliveries().references("pw-redis", 2, 0))).isEmpty();

            clock.advance(Duration.ofHours(1));
            assertThat(node.revocations.revokeDue("pw-redis", 1)).isTrue();
            assertThat(RedisProbe.authenticates(user, v1)).isFalse();
            assertThat(RedisProbe.authenticates(user, v2)).isTrue();

            // Redis goes down for the next rotation (a closed loopback port) and is back for its clean-up.
            Target live = RedisProbe.factory(RedisProbe.PORT).build("redis-main");
            Target dead = RedisProbe.factory(RedisProbe.closedPort()).build("redis-main");
            FlappingTarget flapping = new FlappingTarget(live, dead);
            Node outage = new Node(Map.of("local-files", files(), "redis-main", flapping), RotationListener.NONE);
            clock.advance(Duration.ofMinutes(5));
            Rotation r = outage.rotations.startAndRun("pw-redis", RotationTrigger.OPERATOR, "test");
            int attempts = 0;
            while (!r.state().terminal()) {
                assertThat(++attempts).as("the rotation must end").isLessThan(20);
                assertThat(r.nextAttemptAt()).as("retried after a backoff").isNotNull();
                // The old password works throughout the outage's retries.
                assertThat(RedisProbe.authenticates(user, v2)).isTrue();
                flapping.up.set(r.step() == RotationStep.CLEANUP);
                clock.set(r.nextAttemptAt());
                r = outage.executor.run(r.id());
            }
            assertThat(attempts).isGreaterThanOrEqualTo(2);
            assertThat(r.state()).isEqualTo(RotationState.FAILED);
            assertThat(r.lastError()).contains("redis-main").contains("unreachable").doesNotContain(v2);
            List<CredentialVersion> vs = versions("pw-redis");
            assertInvariants(vs);
            assertThat(vs).extracting(CredentialVersion::state)
                    .containsExactly(VersionState.REVOKED, VersionState.CURRENT, VersionState.FAILED);
            assertThat(fileContent("pw-redis")).isEqualTo(v2);
            assertThat(RedisProbe.authenticates(user, v2)).isTrue();
            assertThat(RedisProbe.passwordCount(user)).isEqualTo(1);
        }
    }

    /**
     * A password bound to the machine's real PostgreSQL with alternating login roles, rotated twice: during each
     * grace period the old role with the old password and the new role with the new one both work (shown by fresh
     * logins and, since the server trusts loopback, by the stored SCRAM verifiers); after revocation the old role is
     * NOLOGIN. A PostgreSQL that is down for the next rotation gives retries, then a FAILED rotation, and the
     * current password keeps working.
     */
    @org.junit.jupiter.api.Test
    void passwordOnAlternatingPostgresRolesOverlapsDuringGraceAndSurvivesAnOutage() throws Exception {
        try (PostgresProbe postgres = new PostgresProbe()) {
            start(TestDatabases.Engine.H2);
            String role = postgres.newRole();
            Node node = new Node(Map.of("local-files", files(), "pg-main", PostgresProbe.factory().build("pg-main")),
                    RotationListener.NONE);
            NewCredential req = new NewCredential("pw-pg", "agent-1", "password", "hsm",
                    new NewCredential.RotationSpec("P7D", null), "PT1H",
                    List.of(Map.of("target", "local-files", "path", "agent-1/pw-pg"),
                            Map.of("target", "pg-main", "role", role, "strategy", "alternating")),
                    null, null, null, null, null, null, null, 24, null);
            node.credentials.create(req, "test");
            String v1 = fileContent("pw-pg");
            assertThat(PostgresProbe.works(role + "_a", v1)).isTrue();
            assertThat(PostgresProbe.canLogin(role + "_b")).isFalse();

            clock.advance(Duration.ofMinutes(5));
            assertThat(node.rotations.startAndRun("pw-pg", RotationTrigger.OPERATOR, "test").state())
                    .isEqualTo(RotationState.SUCCEEDED);
            String v2 = fileContent("pw-pg");
            assertThat(PostgresProbe.works(role + "_a", v1)).isTrue();
            assertThat(PostgresProbe.works(role + "_b", v2)).isTrue();
            // What the database holds to recognise version 2 in pg_authid: its public salt, never the password.
            List<String> refs = db.store().read((dev.rotakey.db.Daos d) -> d.deliveries().references("pw-pg", 2, 1));
            assertThat(refs).hasSize(1).allSatisfy(ref -> assertThat(ref).isNotEqualTo(v2).doesNotContain(v2));

            clock.advance(Duration.ofHours(1));
            assertThat(node.revocations.revokeDue("pw-pg", 1)).isTrue();
            assertThat(PostgresProbe.canLogin(role + "_a")).isFalse();
            assertThat(PostgresProbe.logsIn(role + "_a", v1)).isFalse();
            assertThat(PostgresProbe.works(role + "_b", v2)).isTrue();

            // The second rotation goes back to _a.
            clock.advance(Duration.ofMinutes(5));
            assertThat(node.rotations.startAndRun("pw-pg", RotationTrigger.OPERATOR, "test").state())
                    .isEqualTo(RotationState.SUCCEEDED);
            String v3 = fileContent("pw-pg");
            assertThat(PostgresProbe.works(role + "_a", v3)).isTrue();
            assertThat(PostgresProbe.works(role + "_b", v2)).isTrue();
            clock.advance(Duration.ofHours(1));
            assertThat(node.revocations.revokeDue("pw-pg", 2)).isTrue();
            assertThat(PostgresProbe.canLogin(role + "_b")).isFalse();
            assertThat(PostgresProbe.works(role + "_a", v3)).isTrue();

            // PostgreSQL goes down for the next rotation (a closed loopback port) and is back for its clean-up.
            Target live = PostgresProbe.factory().build("pg-main");
            Target dead = PostgresProbe.factory("jdbc:postgresql://127.0.0.1:" + PostgresProbe.closedPort() + "/test")
                    .build("pg-main");
            FlappingTarget flapping = new FlappingTarget(live, dead);
            Node outage = new Node(Map.of("local-files", files(), "pg-main", flapping), RotationListener.NONE);
            clock.advance(Duration.ofMinutes(5));
            Rotation r = outage.rotations.startAndRun("pw-pg", RotationTrigger.OPERATOR, "test");
            int attempts = 0;
            while (!r.state().terminal()) {
                assertThat(++attempts).as("the rotation must end").isLessThan(20);
                assertThat(r.nextAttemptAt()).as("retried after a backoff").isNotNull();
                assertThat(PostgresProbe.works(role + "_a", v3)).isTrue();
                flapping.up.set(r.step() == RotationStep.CLEANUP);
                clock.set(r.nextAttemptAt());
                r = outage.executor.run(r.id());
            }
            assertThat(attempts).isGreaterThanOrEqualTo(2);
            assertThat(r.state()).isEqualTo(RotationState.FAILED);
            assertThat(r.lastError()).contains("pg-main").doesNotContain(v3);
            List<CredentialVersion> vs = versions("pw-pg");
            assertInvariants(vs);
            assertThat(vs).extracting(CredentialVersion::state).containsExactly(VersionState.REVOKED, VersionState.REVOKED,
                    VersionState.CURRENT, VersionState.FAILED);
            assertThat(fileContent("pw-pg")).isEqualTo(v3);
            assertThat(PostgresProbe.works(role + "_a", v3)).isTrue();
            assertThat(PostgresProbe.canLogin(role + "_b")).isFalse();
        }
    }

    /**
     * A process killed after Redis accepted a new password but before the delivery was recorded: the
     * plaintext is gone, fresh material is issued for the version, and the lost password is removed
     * from Redis first, through the reference recorded before it was sent, so no password that nobody
     * holds keeps working.
     */
    @org.junit.jupiter.api.Test
    void aRestartAfterDeliveringToRedisLeavesNoOrphanPassword() throws Exception {
        try (RedisProbe redis = new RedisProbe()) {
            start(TestDatabases.Engine.H2);
            String user = redis.newUser();
            Target live = RedisProbe.factory(RedisProbe.PORT).build("redis-main");
            Node node = new Node(Map.of("local-files", files(), "redis-main", live), RotationListener.NONE);
            node.credentials.create(new NewCredential("pw-crash", "agent-1", "password", "hsm",
                    new NewCredential.RotationSpec("P7D", null), "PT1H",
                    List.of(Map.of("target", "local-files", "path", "agent-1/pw-crash"),
                            Map.of("target", "redis-main", "user", user)),
                    null, null, null, null, null, null, null, null, null), "test");
            String v1 = fileContent("pw-crash");

            Target dying = new DelegatingTarget(live) {
                @Override
                public void deliver(Delivery d) {
                    super.deliver(d);
                    throw new SimulatedCrash("after ACL SETUSER, before recording the delivery");
                }
            };
            Node doomed = new Node(Map.of("local-files", files(), "redis-main", dying), RotationListener.NONE);
            clock.advance(Duration.ofMinutes(5));
            Rotation started = doomed.rotations.start("pw-crash", RotationTrigger.OPERATOR, "test", false);
            assertThatThrownBy(() -> doomed.executor.run(started.id())).isInstanceOf(SimulatedCrash.class);
            assertThat(RedisProbe.passwordCount(user)).as("v1 and the lost v2").isEqualTo(2);

            Node restarted = new Node(Map.of("local-files", files(), "redis-main", live), RotationListener.NONE);
            assertThat(restarted.executor.run(started.id()).state()).isEqualTo(RotationState.SUCCEEDED);
            String v2 = fileContent("pw-crash");
            assertThat(RedisProbe.authenticates(user, v1)).isTrue();
            assertThat(RedisProbe.authenticates(user, v2)).isTrue();
            assertThat(RedisProbe.passwordCount(user)).as("v1 and the re-issued v2 only").isEqualTo(2);
            assertThat(db.store().read((dev.rotakey.db.Daos d) -> d.deliveries().references("pw-crash", 2, 1)))
                    .hasSize(2);

            clock.advance(Duration.ofHours(1));
            assertThat(restarted.revocations.revokeDue("pw-crash", 1)).isTrue();
            assertThat(RedisProbe.authenticates(user, v1)).isFalse();
            assertThat(RedisProbe.authenticates(user, v2)).isTrue();
            assertThat(RedisProbe.passwordCount(user)).isEqualTo(1);
        }
    }

    private static java.util.Optional<String> keyRef(Node node, String id, int version) {
        return node.store.read(d -> d.versions().keyRef(id, version));
    }

    private static NewCredential with(NewCredential r, String field, String value) {
        return new NewCredential(r.id(), r.agent(), r.type(), r.backend(), r.rotation(), r.gracePeriod(),
                r.targets(), field.equals("ca") ? value : r.ca(), field.equals("keySpec") ? value : r.keySpec(),
                field.equals("validity") ? value : r.validity(), r.renewAt(), r.dnsNames(), r.uris(),
                field.equals("keyCustody") ? value : r.keyCustody());
    }

    /** The version whose digest the delivered cert.pem has, or -1. */
    private int versionOfCertificate(String id) throws Exception {
        byte[] content = Files.readAllBytes(files.resolve("agent-1/" + id + "/cert.pem"));
        for (CredentialVersion v : versions(id)) {
            if (MaterialDigests.matches(backend, content, v.digest())) {
                return v.version();
            }
        }
        return -1;
    }

    /**
     * Storm control end to end: 50 credentials created and then rotated at once on 10 threads
     * against a local-files target limited to 2 concurrent operations. No more than 2 deliveries
     * ever overlap, and every rotation queues and succeeds rather than failing.
     */
    @org.junit.jupiter.api.Test
    void aConcurrencyLimitQueuesAMassRotationInsteadOfFailingIt() throws Exception {
        start(TestDatabases.Engine.H2);
        AtomicInteger active = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger deliveries = new AtomicInteger();
        Target counting = new DelegatingTarget(files()) {
            @Override
            public void deliver(Delivery delivery) {
                peak.accumulateAndGet(active.incrementAndGet(), Math::max);
                try {
                    // Slow on purpose, not a wait: long enough for the other threads to pile up behind the limit.
                    Thread.sleep(10);
                    super.deliver(delivery);
                    deliveries.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TargetException("interrupted", true, e);
                } finally {
                    active.decrementAndGet();
                }
            }
        };
        TargetLimitsFactory limits = new TargetLimitsFactory();
        limits.setConcurrency(2);
        limits.setMaxWait(Duration.ofMinutes(2));
        io.prometheus.metrics.model.registry.PrometheusRegistry prometheus = new io.prometheus.metrics.model.registry.PrometheusRegistry();
        Target limited = limits.apply(counting, new dev.rotakey.metrics.TargetLimitMetrics(prometheus));
        assertThat(limited).isInstanceOf(LimitedTarget.class);
        Node node = new Node(limited, RotationListener.NONE);

        List<String> ids = java.util.stream.IntStream.range(0, 50).mapToObj(i -> "storm-" + i).toList();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(10);
        try {
            List<java.util.concurrent.Future<RotationState>> created = new java.util.ArrayList<>();
            for (String id : ids) {
                created.add(pool.submit(() -> node.credentials.create(apiKey(id), "test").rotation().state()));
            }
            for (var f : created) {
                assertThat(f.get(2, java.util.concurrent.TimeUnit.MINUTES)).isEqualTo(RotationState.SUCCEEDED);
            }
            clock.advance(Duration.ofMinutes(5));
            List<java.util.concurrent.Future<Rotation>> rotated = new java.util.ArrayList<>();
            for (String id : ids) {
                rotated.add(pool.submit(() -> node.rotations.startAndRun(id, RotationTrigger.OPERATOR, "test")));
            }
            for (var f : rotated) {
                Rotation r = f.get(2, java.util.concurrent.TimeUnit.MINUTES);
                assertThat(r.state()).as(r.lastError()).isEqualTo(RotationState.SUCCEEDED);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(deliveries).hasValue(100);
        assertThat(peak.get()).isEqualTo(2);
        for (String id : ids) {
            assertThat(versionInFile(id)).isEqualTo(2);
            assertInvariants(versions(id));
        }
        assertThat(prometheus.scrape().stream().filter(m -> m.getMetadata().getPrometheusName().equals("rotakey_target_wait_seconds"))
                .flatMap(m -> m.getDataPoints().stream()).filter(d -> "local-files".equals(d.getLabels().get("target")))
                .mapToLong(d -> ((io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot) d).getCount())
                .sum()).isGreaterThanOrEqualTo(200);
        assertThat(((LimitedTarget) limited).queued()).isZero();
    }

    /** A server that is down (a closed port) while {@link #up} is false: deliveries and discards go to one or the other. */
    static final class FlappingTarget extends DelegatingTarget {
        final java.util.concurrent.atomic.AtomicBoolean up = new java.util.concurrent.atomic.AtomicBoolean(false);
        private final Target live;
        private final Target dead;

        FlappingTarget(Target live, Target dead) {
            super(live);
            this.live = live;
            this.dead = dead;
        }

        @Override
        public void deliver(Delivery d) {
            (up.get() ? live : dead).deliver(d);
        }

        @Override
        public void discard(Revocation rv) {
            (up.get() ? live : dead).discard(rv);
        }
    }

    /** A real target with one operation overridden by a test. */
    static class DelegatingTarget extends dev.rotakey.targets.ForwardingTarget {
        DelegatingTarget(Target delegate) {
            super(delegate);
        }
    }
}
