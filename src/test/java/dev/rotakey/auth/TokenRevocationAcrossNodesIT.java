package dev.rotakey.auth;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.NotificationListener;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.Store;
import dev.rotakey.db.TokenDao;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes over one PostgreSQL database, each with its own pool, token cache and LISTEN connection, as two daemons
 * of a cluster have: a token revoked on one is refused by the other at once, whoever or whatever changed it, and a
 * node whose listener lost its connection stops trusting its cache until it listens again.
 */
class TokenRevocationAcrossNodesIT {
    /** How soon "at once" must be: a notification's trip, with room for a loaded build machine. */
    private static final Duration AT_ONCE = Duration.ofSeconds(2);
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);

    @TempDir
    Path dir;
    private TestDatabase db;
    private Node a;
    private Node b;

    /** One node's share of the token machinery, wired as RotakeyComponents wires it. */
    private final class Node implements AutoCloseable {
        final NotifiedCache<String, Operator> cache = NotifiedCache.listening(Clock.systemUTC(), 100,
                Duration.ofMinutes(5), HEARTBEAT.multipliedBy(2));
        final NotificationListener listener;
        final OperatorTokens tokens;

        Node(String name) throws Exception {
            Store store = db.anotherNode(name);
            AuditLog audit = new AuditLog(store, Clock.systemUTC(), NodeIdentity.single(name));
            tokens = new OperatorTokens(store, audit, Clock.systemUTC(), cache);
            listener = new NotificationListener(Map.of(TokenDao.CHANGES_CHANNEL, cache), this::connect,
                    Clock.systemUTC(), HEARTBEAT, Duration.ofMillis(200));
            listener.start();
        }

        Connection connect(Properties extra) throws SQLException {
            Properties p = new Properties();
            p.setProperty("user", db.factory().getUser());
            p.setProperty("password", db.factory().getPassword());
            p.putAll(extra);
            return DriverManager.getConnection(db.factory().getUrl(), p);
        }

        /** Whether a look-up of an active token would now be answered from the cache. */
        boolean answersFromCache(String token) {
            cache.invalidateAll();
            tokens.authenticate(token);
            return cache.size() == 1;
        }

        @Override
        public void close() throws Exception {
            listener.stop();
        }
    }

    @BeforeEach
    void twoNodes() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.POSTGRESQL, dir);
        a = new Node("node-a");
        b = new Node("node-b");
        String probe = a.tokens.issue("probe", OperatorTokens.VERIFIER, "token:admin");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.answersFromCache(probe) && b.answersFromCache(probe));
    }

    @AfterEach
    void close() throws Exception {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        db.close();
    }

    @Test
    void aTokenRevokedOnOneNodeIsRefusedByTheOtherAtOnce() {
        String token = a.tokens.issue("billing-service", OperatorTokens.VERIFIER, "token:admin");
        assertThat(b.tokens.authenticate(token)).contains(new Operator("billing-service", OperatorTokens.VERIFIER));
        // Once the issue's own notification has passed, node B answers from its cache.
        await().atMost(AT_ONCE).until(() -> b.answersFromCache(token));

        a.tokens.revoke("billing-service", "token:admin");

        assertThat(a.tokens.authenticate(token)).as("the revoking node, as soon as revoke returns").isEmpty();
        await().atMost(AT_ONCE).until(() -> b.tokens.authenticate(token).isEmpty());
        assertThat(b.cache.size()).isZero();
    }

    @Test
    void aTokenChangedInTheDatabaseByAnythingElseIsRefusedAtOnceToo() throws Exception {
        String token = a.tokens.issue("reporting", OperatorTokens.VERIFIER, "token:admin");
        assertThat(a.tokens.authenticate(token)).isPresent();
        assertThat(b.tokens.authenticate(token)).isPresent();

        // An operator's hand-written SQL, or a node of an older release: the table's trigger notifies.
        sql("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE name = 'reporting'");

        await().atMost(AT_ONCE).until(() -> a.tokens.authenticate(token).isEmpty() && b.tokens.authenticate(token).isEmpty());
    }

    @Test
    void aNodeWhoseListenerLostItsConnectionLooksTokensUpUntilItListensAgain() throws Exception {
        String token = a.tokens.issue("ops", OperatorTokens.ADMIN, "token:admin");
        await().atMost(AT_ONCE).until(() -> b.answersFromCache(token));

        // Ends every listener's backend; each reconnects within its retry delay.
        sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND application_name = '" + NotificationListener.APPLICATION_NAME + "'");
        await().atMost(AT_ONCE).until(() -> b.cache.size() == 0);
        // Revoked behind the node's back while it may not be listening: refused either way.
        sql("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE name = 'ops'");
        assertThat(b.tokens.authenticate(token)).isEmpty();

        String next = a.tokens.issue("ops-2", OperatorTokens.ADMIN, "token:admin");
        await().atMost(Duration.ofSeconds(10)).until(() -> b.answersFromCache(next));
        assertThat(b.tokens.authenticate(token)).isEmpty();
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
