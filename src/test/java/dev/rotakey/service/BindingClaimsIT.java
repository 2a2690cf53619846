package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.core.Credential;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.BindingClaimDao;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;
import dev.rotakey.targets.files.LocalFilesTargetFactory;
import dev.rotakey.targets.postgres.PostgresProbe;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * One credential per file, role or user: {@code POST /api/v1/credentials} (through {@link CredentialService}) refuses a
 * binding whose resource another credential holds, also when two creations race, on H2 and PostgreSQL; claims are
 * released once a decommissioned credential is gone from its targets; and credentials created before claims were
 * recorded are claimed at start-up, with shared resources reported.
 */
class BindingClaimsIT {
    private static KeyBackend backend;

    @TempDir
    Path dir;

    private TestDatabase db;
    private Targets targets;
    private CredentialService credentials;
    private RotationService rotations;
    private AgentService agents;
    private final PostgresProbe postgres = new PostgresProbe();

    @BeforeAll
    static void token() {
        backend = SoftHsmTokens.factory(SoftHsmTokens.WORKFLOW).build("hsm");
        backend.start();
    }

    @AfterAll
    static void closeToken() {
        backend.close();
    }

    @AfterEach
    void close() throws Exception {
        if (targets != null) {
            targets.close();
        }
        if (db != null) {
            db.close();
        }
        postgres.close();
    }

    private void start(TestDatabases.Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir.resolve("db"));
        TestClock clock = new TestClock(Instant.parse("2026-11-28T10:00:00Z"));
        Path files = Files.createDirectories(dir.resolve("delivered"));
        LocalFilesTargetFactory f = new LocalFilesTargetFactory();
        f.setDirectory(files.toString());
        RotakeyComponents c = TestComponents.build(clock, db.store(), backend, Map.of("local-files",
                f.build("local-files"), "pg-main", PostgresProbe.factory().build("pg-main")), new RecordingScheduler());
        targets = c.targets();
        rotations = c.rotations();
        credentials = c.credentials();
        agents = c.agents();
        for (String agent : List.of("agent-1", "agent-2", "agent-3")) {
            agents.create(new NewAgent(agent, "team@example.com", null, null, null, null), "test");
        }
    }

    private static NewCredential request(String id, String agent, String type, List<Map<String, String>> bindings) {
        return new NewCredential(id, agent, type, "hsm", new NewCredential.RotationSpec("P7D", null),
                "PT1H", bindings);
    }

    private static NewCredential file(String id, String agent, String path) {
        return request(id, agent, "api-key", List.of(Map.of("target", "local-files", "path", path)));
    }

    private RejectedException refused(NewCredential req) {
        return catchThrowableOfType(RejectedException.class, () -> credentials.create(req, "test"));
    }

    private java.util.Optional<String> holder(String claim) {
        return db.store().read(d -> d.bindingClaims().holder("local-files", claim));
    }

    private List<BindingClaimDao.Row> claimsOf(String credentialId) {
        return db.store().read(d -> d.bindingClaims().ofCredential(credentialId));
    }

    private List<BindingClaimDao.Row> allClaims() {
        return db.store().read(d -> d.bindingClaims().all());
    }

    private boolean exists(String id) {
        return db.store().read(d -> d.credentials().find(id)).isPresent();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aResourceHeldByAnotherCredentialIsRefusedWithAConflictNamingIt(TestDatabases.Engine engine) throws Exception {
        start(engine);
        credentials.create(file("first", "agent-1", "shared/api-key"), "test");

        RejectedException e = refused(file("second", "agent-2", "shared/api-key"));
        assertThat(e.kind()).isEqualTo(RejectedException.Kind.CONFLICT);
        assertThat(e.getMessage()).contains("target 'local-files'", "path 'shared/api-key'", "credential 'first'");
        assertThat(exists("second")).as("nothing of the refused credential is stored").isFalse();
        assertThat(claimsOf("first")).extracting(BindingClaimDao.Row::claim)
                .contains("path:shared/api-key");

        // A certificate's files under an API key's path, and an API key where a certificate writes cert.pem: refused too.
        credentials.create(file("dir-owner", "agent-1", "certs/agent"), "test");
        assertThat(refused(file("inside", "agent-2", "certs/agent/cert.pem")).kind()).isEqualTo(RejectedException.Kind.CONFLICT);

        // The same path at another target name, or another path, is fine.
        credentials.create(file("third", "agent-2", "shared/other-key"), "test");
        assertThat(exists("third")).isTrue();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void roleNamesCollideAcrossStrategies(TestDatabases.Engine engine) throws Exception {
        start(engine);
        String role = postgres.newRole();
        credentials.create(request("pg-alt", "agent-1", "password",
                List.of(Map.of("target", "pg-main", "role", role, "strategy", "alternating"))), "test");

        RejectedException e = refused(request("pg-single", "agent-2", "password",
                List.of(Map.of("target", "pg-main", "role", role + "_b"))));
        assertThat(e.kind()).isEqualTo(RejectedException.Kind.CONFLICT);
        assertThat(e.getMessage()).contains("target 'pg-main'", "role '" + role + "_b'", "credential 'pg-alt'");
        assertThat(PostgresProbe.canLogin(role + "_b")).as("the refused credential never reached the role").isFalse();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void twoBindingsOfOneRequestMayNotShareAResource(TestDatabases.Engine engine) throws Exception {
        start(engine);
        RejectedException e = refused(request("twice", "agent-1", "api-key", List.of(
                Map.of("target", "local-files", "path", "a/key"), Map.of("target", "local-files", "path", "a/key/cert.pem"))));
        assertThat(e.kind()).isEqualTo(RejectedException.Kind.INVALID);
        assertThat(e.field()).isEqualTo("targets[1]");
        assertThat(e.getMessage()).contains("targets[0]", "path 'a/key/cert.pem'");
        assertThat(exists("twice")).isFalse();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void concurrentCreationsOfOneResourceLetExactlyOneThrough(TestDatabases.Engine engine) throws Exception {
        start(engine);
        // Different agents, so that the agent row lock does not serialise them: the claims' key must.
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> outcomes = new ArrayList<>();
            for (String agent : List.of("agent-1", "agent-2")) {
                Callable<String> create = () -> {
                    go.await();
                    try {
                        credentials.create(file("race-" + agent, agent, "race/key"), "test");
                        return "created";
                    } catch (RejectedException e) {
                        return e.kind().name();
                    }
                };
                outcomes.add(pool.submit(create));
            }
            go.countDown();
            List<String> results = new ArrayList<>();
            for (Future<String> f : outcomes) {
                results.add(f.get());
            }
            assertThat(results).containsExactlyInAnyOrder("created", "CONFLICT");
        } finally {
            pool.shutdownNow();
        }
        assertThat(allClaims()).extracting(BindingClaimDao.Row::claim)
                .filteredOn("path:race/key"::equals).hasSize(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void aClaimIsReleasedOnceTheDecommissionedCredentialIsGoneFromItsTargets(TestDatabases.Engine engine) throws Exception {
        start(engine);
        credentials.create(file("old", "agent-3", "reused/key"), "test");
        rotations.decommission("agent-3", "test");
        assertThat(credentials.get("old").status()).isEqualTo(Credential.CredentialStatus.DECOMMISSIONED);

        // A removal still failing holds the path: the old credential's revocation may yet come back to it.
        db.jdbi().useHandle(h -> h.execute("UPDATE credential_versions SET revoke_error = 'target unreachable' "
                + "WHERE credential_id = 'old'"));
        RejectedException e = refused(file("new", "agent-1", "reused/key"));
        assertThat(e.kind()).isEqualTo(RejectedException.Kind.CONFLICT);
        assertThat(e.getMessage()).contains("credential 'old'");

        db.jdbi().useHandle(h -> h.execute("UPDATE credential_versions SET revoke_error = NULL WHERE credential_id = 'old'"));
        credentials.create(file("new", "agent-1", "reused/key"), "test");
        assertThat(holder("path:reused/key")).contains("new");
        assertThat(claimsOf("old")).extracting(BindingClaimDao.Row::claim)
                .doesNotContain("path:reused/key");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void credentialsFromBeforeClaimsAreClaimedAtStartUpAndSharedResourcesReported(TestDatabases.Engine engine)
            throws Exception {
        start(engine);
        credentials.create(file("older", "agent-1", "dup/key"), "test");
        credentials.create(file("alone", "agent-1", "alone/key"), "test");
        // As an upgraded database holds them: a duplicate that nothing refused, and no claims recorded at all.
        Credential duplicate = new Credential("younger", "agent-2", credentials.get("older").type(), "hsm",
                credentials.get("older").policy(), Duration.ofHours(1),
                List.of(new TargetBinding("local-files", Map.of("path", "dup/key"))), Credential.CredentialStatus.ACTIVE,
                null, Instant.parse("2026-11-28T11:00:00Z"), null, null, null, null);
        db.store().txRun(tx -> tx.credentials().insert(duplicate));
        db.jdbi().useHandle(h -> h.execute("DELETE FROM binding_claims"));

        List<String> warnings = new BindingClaims(targets).backfill(db.store());

        assertThat(warnings).singleElement().asString()
                .contains("path 'dup/key'", "target 'local-files'", "credential 'older'", "credential 'younger'");
        assertThat(holder("path:dup/key")).contains("older");
        assertThat(holder("path:alone/key")).contains("alone");
        // Running it again claims nothing new and still reports the shared path.
        assertThat(new BindingClaims(targets).backfill(db.store())).hasSize(1);
        assertThat(allClaims()).hasSize(10);
    }
}
