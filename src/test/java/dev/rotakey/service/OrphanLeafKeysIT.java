package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationTrigger;
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

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The start-up sweep of leaf keys no version records, on a real SoftHSM2 token and H2 / PostgreSQL:
 * an unrecorded key goes, a recorded one stays, and so does one whose rotation is still running, until
 * that rotation ends.
 */
class OrphanLeafKeysIT {
    private static KeyBackend backend;

    @TempDir
    Path dir;

    private TestDatabase db;

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

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void destroysOnlyKeysThatNoVersionAndNoRunningRotationAccountsFor(TestDatabases.Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir.resolve("db"));
        Store store = db.store();
        TestClock clock = new TestClock(Instant.parse("2026-12-06T10:00:00Z"));
        LocalFilesTargetFactory f = new LocalFilesTargetFactory();
        f.setDirectory(dir.resolve("delivered").toString());
        RotakeyComponents c = TestComponents.build(clock, store, backend, Map.of("local-files", f.build("local-files")),
                new RecordingScheduler());
        RotationService rotations = c.rotations();
        c.agents().create(new NewAgent("agent-1", "team@example.com", null, null, null, null), "test");
        String id = "orphans-" + UUID.randomUUID().toString().substring(0, 8);
        c.credentials().create(new NewCredential(id, "agent-1", "api-key", "hsm",
                new NewCredential.RotationSpec("P7D", null), "PT1H",
                List.of(Map.of("target", "local-files", "path", id))), "test");

        String recorded = OrphanLeafKeys.PREFIX + id + "-1-aaaa0001";
        String orphan = OrphanLeafKeys.PREFIX + id + "-1-aaaa0002";
        String inFlight = OrphanLeafKeys.PREFIX + id + "-2-aaaa0003";
        for (String alias : List.of(recorded, orphan, inFlight)) {
            backend.createSigningKey(alias, KeySpec.EC_P256);
        }
        store.txRun(tx -> tx.versions().setKeyRef(id, 1, recorded));
        // Version 2's rotation has started (RUNNING, step create) and may have just made its key.
        Rotation rotation = rotations.start(id, RotationTrigger.OPERATOR, "test", false);
        try {
            c.orphanKeys().sweep();

            assertThat(backend.signingKey(orphan)).isEmpty();
            assertThat(backend.signingKey(recorded)).isPresent();
            assertThat(backend.signingKey(inFlight)).isPresent();
            assertThat(backend.signingKeyAliases(OrphanLeafKeys.PREFIX + id + "-")).containsExactlyInAnyOrder(recorded, inFlight);

            // The rotation ends without recording that key (as a resumed rotation issues a new one): it goes then,
            // the daemon's rotation listener telling the sweeper.
            Rotation done = c.executor().run(rotation.id());
            assertThat(done.state()).isEqualTo(RotationState.SUCCEEDED);
            assertThat(backend.signingKey(inFlight)).isEmpty();
            assertThat(backend.signingKey(recorded)).isPresent();
        } finally {
            backend.destroySigningKey(recorded);
            backend.destroySigningKey(inFlight);
            backend.destroySigningKey(orphan);
        }
    }
}
