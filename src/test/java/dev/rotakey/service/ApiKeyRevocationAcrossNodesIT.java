package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import dev.rotakey.api.VerifyKeyResponse;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.db.NotificationListener;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.PresentedKeyDao;
import dev.rotakey.db.PresentedKeyDao.PresentedKey;
import dev.rotakey.targets.files.LocalFilesTargetFactory;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes over one PostgreSQL database, as two daemons of a cluster: node A runs the workflow with the daemon's
 * components, node B only verifies keys, with its own pool, key cache and LISTEN connection. A key revoked by an
 * emergency on node A is refused by node A as soon as the revocation returns, and by node B at once, even though
 * both had answered it from their caches a moment before.
 */
class ApiKeyRevocationAcrossNodesIT {
    private static final Duration AT_ONCE = Duration.ofSeconds(2);
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    private static KeyBackend backend;

    @TempDir
    Path dir;
    private TestDatabase db;
    private RotakeyComponents nodeA;
    private NotifiedCache<List<String>, PresentedKey> cacheA;
    private ApiKeyVerifier verifierA;
    private NotifiedCache<List<String>, PresentedKey> cacheB;
    private ApiKeyVerifier verifierB;
    private NotificationListener listenerB;

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

    @BeforeEach
    void twoNodes() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.POSTGRESQL, dir.resolve("db"));
        LocalFilesTargetFactory files = new LocalFilesTargetFactory();
        files.setDirectory(dir.resolve("delivered").toString());
        nodeA = TestComponents.build(TestClock.at("2026-12-06T10:00:00Z"), db.store(), backend,
                Map.of("local-files", files.build("local-files")), new RecordingScheduler());
        nodeA.agents().create(new NewAgent("agent-1", "team@example.com", null, null, null, null), "test");
        // Node A's verifier as the daemon wires it on a single node: dropped after each of its store's transactions.
        cacheA = NotifiedCache.local(Clock.systemUTC(), 100, Duration.ofMinutes(5));
        db.store().afterEachTransaction(cacheA::invalidateAll);
        verifierA = verifier(db.store(), cacheA);

        cacheB = NotifiedCache.listening(Clock.systemUTC(), 100, Duration.ofMinutes(5), HEARTBEAT.multipliedBy(2));
        var storeB = db.anotherNode("node-b");
        storeB.afterEachTransaction(cacheB::invalidateAll);
        verifierB = verifier(storeB, cacheB);
        listenerB = new NotificationListener(Map.of(PresentedKeyDao.CHANGES_CHANNEL, cacheB), this::connect,
                Clock.systemUTC(), HEARTBEAT, Duration.ofMillis(200));
        listenerB.start();
    }

    private static ApiKeyVerifier verifier(dev.rotakey.db.Store store, NotifiedCache<List<String>, PresentedKey> cache) {
        return new ApiKeyVerifier(store, new KeyBackends(Map.of("hsm", backend)),
                new AuditLog(store, Clock.systemUTC(), NodeIdentity.single("test-node")), cache, ApiKeyVerifier.Results.NONE,
                dev.rotakey.usage.UsageRecorder.NONE, Clock.systemUTC());
    }

    private Connection connect(Properties extra) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", db.factory().getUser());
        p.setProperty("password", db.factory().getPassword());
        p.putAll(extra);
        return DriverManager.getConnection(db.factory().getUrl(), p);
    }

    @AfterEach
    void close() throws Exception {
        if (listenerB != null) {
            listenerB.stop();
        }
        db.close();
    }

    private String keyOf(String credential) throws Exception {
        return Files.readString(dir.resolve("delivered/agent-1/" + credential), StandardCharsets.UTF_8);
    }

    private static NewCredential apiKey(String id) {
        return new NewCredential(id, "agent-1", "api-key", "hsm", new NewCredential.RotationSpec("P7D", null), "PT1H",
                List.of(Map.of("target", "local-files", "path", "agent-1/" + id)));
    }

    /** Whether node B's answer for this key now comes from its cache (so that a stale answer could show). */
    private boolean answeredFromCache(String key) {
        cacheB.invalidateAll();
        verifierB.verify(key, "token:test");
        return cacheB.size() == 1;
    }

    @Test
    void aKeyRevokedOnOneNodeIsRefusedByBothAtOnce() throws Exception {
        nodeA.credentials().create(apiKey("c1"), "test");
        String key = keyOf("c1");
        await().atMost(Duration.ofSeconds(10)).until(() -> answeredFromCache(key));
        assertThat(verifierA.verify(key, "token:test").valid()).isTrue();
        assertThat(verifierB.verify(key, "token:test").valid()).isTrue();
        assertThat(cacheA.size()).isEqualTo(1);

        nodeA.revocations().revokeNow("c1", 1, RevocationReason.EMERGENCY, "test");

        VerifyKeyResponse onA = verifierA.verify(key, "token:test");
        assertThat(onA.valid()).as("node A, as soon as the revocation returns").isFalse();
        assertThat(onA.reason()).isEqualTo("revoked");
        await().atMost(AT_ONCE).until(() -> !verifierB.verify(key, "token:test").valid());
        assertThat(verifierB.verify(key, "token:test").reason()).isEqualTo("revoked");
    }

    @Test
    void aDecommissionedAgentsKeysAreRefusedByTheOtherNodeAtOnce() throws Exception {
        nodeA.credentials().create(apiKey("c2"), "test");
        String key = keyOf("c2");
        await().atMost(Duration.ofSeconds(10)).until(() -> answeredFromCache(key));

        nodeA.rotations().decommission("agent-1", "test");

        await().atMost(AT_ONCE).until(() -> !verifierB.verify(key, "token:test").valid());
        assertThat(verifierA.verify(key, "token:test").valid()).isFalse();
    }
}
