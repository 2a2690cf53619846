package dev.rotakey.audit;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.AuditCheckpointsFactory;
import dev.rotakey.db.Store;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tamper-evident audit trail on H2 and PostgreSQL with checkpoints signed in a real SoftHSM2 token: an intact chain
 * verifies, and every edit, deletion, insertion and reordering made directly in the database is found, as is a
 * rewrite of the whole chain; writers on many threads and two nodes make one sequence; the export checks with the
 * shipped openssl script.
 */
class AuditChainIT {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;
    private TestDatabase db;
    private Store store;
    private KeyBackend backend;
    private String keyAlias;
    private AuditSigningKeys keys;
    private AuditLog audit;
    private AuditCheckpoints checkpoints;
    private final TestClock clock = TestClock.at("2026-12-01T10:00:00.123456789Z");

    @BeforeAll
    static void tokens() {
        SoftHsmTokens.ensure();
    }

    private void open(Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir);
        store = db.store();
        backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        backend.start();
        keyAlias = "test-audit-" + HexFormat.of().formatHex(RANDOM.generateSeed(6));
        AuditCheckpointsFactory config = new AuditCheckpointsFactory();
        config.setKey(keyAlias);
        keys = new AuditSigningKeys(new KeyBackends(Map.of("hsm", backend)), config);
        audit = new AuditLog(store, clock, NodeIdentity.single("node-a"));
        checkpoints = new AuditCheckpoints(store, keys, Duration.ofMinutes(1), clock, NodeIdentity.single("node-a"));
    }

    @AfterEach
    void close() throws Exception {
        if (backend != null) {
            backend.destroySigningKey(keyAlias);
            backend.close();
        }
        if (db != null) {
            db.close();
        }
    }

    private AuditVerification verify() {
        return new AuditChainVerifier(store, keys).verify();
    }

    /** {@code n} events, some alone and some together, with texts JSON must escape. */
    private void record(int n) {
        for (int i = 1; i <= n; i++) {
            clock.advance(Duration.ofMillis(1));
            if (i % 5 == 0) {
                int k = i;
                store.txRun(tx -> audit.recordAll(tx, List.of(
                        new AuditLog.Entry("token:ops", AuditAction.OPERATOR_ROTATE, "credential:c-" + k, "ok", null),
                        new AuditLog.Entry("scheduler", AuditAction.ROTATION_STARTED, "credential:c-" + k, "ok",
                                "quotes \" backslash \\ newline \n unicode é✓ 🔑"))));
            } else {
                audit.record("token:ops", AuditAction.AGENT_CREATED, "agent:a-" + i, "ok", "n=" + i);
            }
        }
    }

    private void sql(String statement, Object... args) {
        db.jdbi().useHandle(h -> h.execute(statement, args));
    }

    private static long count(Handle h, String sql) {
        return h.createQuery(sql).mapTo(Long.class).one();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void anIntactChainVerifiesUpToItsLastCheckpoint(Engine engine) throws Exception {
        open(engine);
        record(30);
        assertThat(checkpoints.checkpoint()).isPresent();
        assertThat(checkpoints.checkpoint()).as("the head is already signed").isEmpty();
        record(4);

        AuditVerification report = verify();

        assertThat(report.intact()).as(String.valueOf(report.firstBreak())).isTrue();
        assertThat(report.events()).isEqualTo(36 + 4);
        assertThat(report.headSeq()).isEqualTo(40);
        assertThat(report.checkpoints()).isEqualTo(1);
        assertThat(report.lastCheckpointSeq()).isEqualTo(36);
        assertThat(report.unsigned()).isEqualTo(4);
        assertThat(report.firstBreak()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void anEditedEventIsFound(Engine engine) throws Exception {
        open(engine);
        record(20);
        checkpoints.checkpoint();
        sql("UPDATE audit_events SET outcome = 'failed' WHERE seq = 7");

        AuditVerification report = verify();

        assertThat(report.intact()).isFalse();
        assertThat(report.firstBreak().seq()).isEqualTo(7);
        assertThat(report.firstBreak().problem()).contains("changed");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aDeletedEventIsFoundInTheMiddleAndAtTheEnd(Engine engine) throws Exception {
        open(engine);
        record(20);
        checkpoints.checkpoint();
        sql("DELETE FROM audit_events WHERE seq = 9");
        assertThat(verify().firstBreak()).satisfies(b -> {
            assertThat(b.seq()).isEqualTo(9);
            assertThat(b.problem()).contains("missing");
        });

        sql("DELETE FROM audit_events WHERE seq >= 9");
        sql("UPDATE audit_chain SET head_seq = 8, head_hash = (SELECT hash FROM audit_events WHERE seq = 8)");
        AuditVerification tail = verify();
        assertThat(tail.intact()).isFalse();
        assertThat(tail.firstBreak().problem()).as("the signed checkpoint names an event that is gone")
                .contains("checkpoint names event");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void anInsertedEventIsFound(Engine engine) throws Exception {
        open(engine);
        record(10);
        checkpoints.checkpoint();
        sql("INSERT INTO audit_events (at, actor, action, subject, outcome) "
                + "VALUES (CURRENT_TIMESTAMP, 'token:admin', 'token.created', 'token:backdoor', 'ok')");

        AuditVerification outside = verify();
        assertThat(outside.intact()).isFalse();
        assertThat(outside.firstBreak().seq()).isNull();
        assertThat(outside.firstBreak().id()).isNotNull();
        assertThat(outside.firstBreak().problem()).contains("inserted outside Rotakey");

        // Numbered past the head, it is found too.
        sql("DELETE FROM audit_events WHERE seq IS NULL");
        sql("INSERT INTO audit_events (at, actor, action, subject, outcome, seq, prev_hash, hash) VALUES (CURRENT_TIMESTAMP, "
                + "'token:admin', 'token.created', 'token:backdoor', 'ok', 99, '" + ChainLink.GENESIS + "', '" + ChainLink.GENESIS + "')");
        AuditVerification beyond = verify();
        assertThat(beyond.intact()).isFalse();
        assertThat(beyond.firstBreak().seq()).isEqualTo(99);
        assertThat(beyond.firstBreak().problem()).contains("past its head");
        sql("DELETE FROM audit_events WHERE seq = 99");

        // Given a place in the chain by someone who knows how hashes are made, it still breaks the next event's link.
        String prev4 = db.jdbi().withHandle(h -> h.createQuery("SELECT hash FROM audit_events WHERE seq = 4")
                .mapTo(String.class).one());
        sql("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 5");
        sql("UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1005");
        AuditEvent forged = new AuditEvent(0, clock.instant(), "token:admin", "token.created", "token:backdoor", "ok",
                null, null, "node-a");
        ChainLink link = ChainLink.of(5, prev4, forged);
        sql("INSERT INTO audit_events (at, actor, action, subject, outcome, node, seq, prev_hash, hash) "
                + "VALUES (CURRENT_TIMESTAMP, 'token:admin', 'token.created', 'token:backdoor', 'ok', 'node-a', 5, ?, ?)",
                prev4, link.hash());
        AuditVerification inserted = verify();
        assertThat(inserted.intact()).isFalse();
        assertThat(inserted.firstBreak().seq()).isBetween(5L, 6L);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void reorderedEventsAreFound(Engine engine) throws Exception {
        open(engine);
        record(12);
        checkpoints.checkpoint();
        sql("UPDATE audit_events SET seq = -1 WHERE seq = 4");
        sql("UPDATE audit_events SET seq = 4 WHERE seq = 5");
        sql("UPDATE audit_events SET seq = 5 WHERE seq = -1");

        AuditVerification report = verify();

        assertThat(report.intact()).isFalse();
        assertThat(report.firstBreak().seq()).isEqualTo(4);
    }

    /** Someone who can write the database and knows the hashing rewrites every hash: the signature still tells. */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void aRewrittenChainIsFoundByItsSignedCheckpoint(Engine engine) throws Exception {
        open(engine);
        record(15);
        checkpoints.checkpoint();
        sql("UPDATE audit_events SET outcome = 'denied' WHERE seq = 3");
        rehashFrom(1);

        AuditVerification rewritten = verify();
        assertThat(rewritten.intact()).isFalse();
        assertThat(rewritten.firstBreak().problem()).contains("rewritten");

        // Re-signing needs the key: a checkpoint edited to the new head does not verify.
        String head = db.jdbi().withHandle(h -> h.createQuery("SELECT head_hash FROM audit_chain").mapTo(String.class).one());
        AuditCheckpoint old = db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM audit_checkpoints")
                .map((rs, ctx) -> new AuditCheckpoint(rs.getLong("seq"), rs.getString("hash"),
                        rs.getTimestamp("at").toInstant(), rs.getString("backend"), rs.getString("key_alias"),
                        rs.getString("algorithm"), rs.getString("payload"), rs.getString("signature"), null)).one());
        sql("UPDATE audit_checkpoints SET hash = ?, payload = ?", head,
                AuditCheckpoint.payload(old.seq(), head, old.at(), old.backend(), old.keyAlias()));
        AuditVerification resigned = verify();
        assertThat(resigned.intact()).isFalse();
        assertThat(resigned.firstBreak().problem()).contains("signature does not verify");
    }

    /** Recomputes every hash from {@code seq} on, as an attacker who read Rotakey's source would. */
    private void rehashFrom(long seq) {
        db.jdbi().useTransaction(h -> {
            String prev = seq == 1 ? ChainLink.GENESIS
                    : h.createQuery("SELECT hash FROM audit_events WHERE seq = :s").bind("s", seq - 1).mapTo(String.class).one();
            List<Map<String, Object>> rows = h.createQuery("SELECT * FROM audit_events WHERE seq >= :s ORDER BY seq")
                    .bind("s", seq).mapToMap().list();
            for (Map<String, Object> r : rows) {
                Object at = r.get("at");
                java.time.Instant instant = at instanceof java.time.OffsetDateTime odt ? odt.toInstant()
                        : ((java.sql.Timestamp) at).toInstant();
                AuditEvent e = new AuditEvent(0, instant, (String) r.get("actor"),
                        (String) r.get("action"), (String) r.get("subject"), (String) r.get("outcome"),
                        (String) r.get("correlation_id"), (String) r.get("details"), (String) r.get("node"));
                long s = ((Number) r.get("seq")).longValue();
                ChainLink link = ChainLink.of(s, prev, e);
                h.execute("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?", prev, link.hash(), s);
                prev = link.hash();
            }
            h.execute("UPDATE audit_chain SET head_hash = ?", prev);
        });
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aCheckpointSignedByAnUntrustedKeyIsFound(Engine engine) throws Exception {
        open(engine);
        record(5);
        checkpoints.checkpoint();
        sql("UPDATE audit_checkpoints SET key_alias = 'rotakey-ca-root'");
        assertThat(verify().firstBreak().problem()).contains("does not trust");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void writersOnManyThreadsAndTwoNodesMakeOneSequence(Engine engine) throws Exception {
        open(engine);
        Store other = db.anotherNode("node-b");
        AuditLog otherAudit = new AuditLog(other, clock, NodeIdentity.single("node-b"));
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        AuditLog log = thread % 2 == 0 ? audit : otherAudit;
                        Store s = thread % 2 == 0 ? store : other;
                        if (i % 3 == 0) {
                            // Through group commit: several callers' steps in one transaction.
                            s.stepTx(tx -> {
                                log.record(tx, "scheduler", AuditAction.ROTATION_STEP, "credential:c" + thread, "ok", null);
                                return null;
                            });
                        } else {
                            log.record("token:t" + thread, AuditAction.OPERATOR_ROTATE, "credential:c" + thread, "ok", null);
                        }
                        if (i == 20) {
                            checkpoints.checkpoint();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        checkpoints.checkpoint();

        AuditVerification report = verify();
        assertThat(report.intact()).as(String.valueOf(report.firstBreak())).isTrue();
        assertThat(report.events()).isEqualTo(8 * 40);
        assertThat(report.unsigned()).isZero();
        assertThat(db.jdbi().withHandle(h -> (Long) count(h, "SELECT COUNT(DISTINCT node) FROM audit_events")).longValue()).isEqualTo(2);
    }

    /** Events committed while the walk runs are past the head it read: never taken for inserted ones. */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void aChainBeingWrittenVerifiesIntact(Engine engine) throws Exception {
        open(engine);
        record(10);
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        ExecutorService writers = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                done.add(writers.submit(() -> {
                    while (writing.get()) {
                        audit.record("scheduler", AuditAction.ROTATION_STEP, "credential:busy", "ok", null);
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 20; i++) {
                if (i % 5 == 0) {
                    checkpoints.checkpoint();
                }
                AuditVerification report = verify();
                assertThat(report.intact()).as("verification %d: %s", i, report.firstBreak()).isTrue();
            }
            writing.set(false);
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            writing.set(false);
            writers.shutdownNow();
        }
        assertThat(verify().intact()).isTrue();
    }

    /** A group commit's member that fails is rolled back to its savepoint, its events with it: the chain has no gap. */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void theEventsOfAStepRolledBackAreNotChained(Engine engine) throws Exception {
        open(engine);
        record(3);
        assertThatThrownBy(() -> store.stepTx(tx -> {
            audit.record(tx, "scheduler", AuditAction.ROTATION_STEP, "credential:gone", "ok", null);
            throw new IllegalStateException("the step fails");
        })).hasMessage("the step fails");
        record(2);

        AuditVerification report = verify();
        assertThat(report.intact()).as(String.valueOf(report.firstBreak())).isTrue();
        assertThat(report.events()).isEqualTo(3 + 2);
        assertThat((long) db.jdbi().withHandle(h -> (Long) count(h,
                "SELECT COUNT(*) FROM audit_events WHERE subject = 'credential:gone'"))).isZero();
    }

    /** Events recorded before the upgrade that added the chain are chained once at start; none inserted after. */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void eventsFromBeforeTheChainAreChainedAtStart(Engine engine) throws Exception {
        open(engine);
        for (int i = 0; i < 5; i++) {
            sql("INSERT INTO audit_events (at, actor, action, subject, outcome, details) "
                    + "VALUES (CURRENT_TIMESTAMP, 'token:old', 'agent.created', 'agent:old-" + i + "', 'ok', 'before')");
        }
        sql("UPDATE audit_chain SET legacy_until_id = (SELECT MAX(id) FROM audit_events)");
        record(3);

        checkpoints.chainLegacyEvents();
        AuditVerification report = verify();
        assertThat(report.intact()).as(String.valueOf(report.firstBreak())).isTrue();
        assertThat(report.events()).isEqualTo(5 + 3);

        sql("INSERT INTO audit_events (at, actor, action, subject, outcome) "
                + "VALUES (CURRENT_TIMESTAMP, 'token:old', 'agent.created', 'agent:late', 'ok')");
        checkpoints.chainLegacyEvents();
        assertThat(verify().firstBreak().problem()).contains("inserted outside Rotakey");
    }

    /** The export checks with the shipped script (jq and openssl); a changed line, or a changed hash, does not. */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void theExportVerifiesOfflineWithOpenssl(Engine engine) throws Exception {
        open(engine);
        record(12);
        checkpoints.checkpoint();
        record(3);
        checkpoints.checkpoint();

        Path export = dir.resolve("audit.jsonl");
        StringWriter out = new StringWriter();
        new AuditExport(store, keys).write(null, null, out);
        Files.writeString(export, out.toString());
        String fingerprint = HexFormat.of().formatHex(sha256(keys.current().publicKey().getEncoded()));

        Script ok = script(export, fingerprint);
        assertThat(ok.status()).as(ok.output()).isZero();
        assertThat(ok.output()).contains("intact: 17 events up to 17; signed through event 17").doesNotContain("WARNING");

        Script wrongKey = script(export, "0".repeat(64));
        assertThat(wrongKey.status()).as(wrongKey.output()).isEqualTo(1);

        List<String> lines = new ArrayList<>(Files.readAllLines(export));
        lines.set(4, lines.get(4).replace("\"outcome\":\"ok\"", "\"outcome\":\"denied\""));
        Path edited = dir.resolve("edited.jsonl");
        Files.write(edited, lines);
        Script broken = script(edited, fingerprint);
        assertThat(broken.status()).as(broken.output()).isEqualTo(1);
        assertThat(broken.output()).contains("BROKEN");

        // A range ends at the checkpoint after it, so that a signature vouches for all of it.
        StringWriter range = new StringWriter();
        new AuditExport(store, keys).write(3L, 5L, range);
        Path part = dir.resolve("range.jsonl");
        Files.writeString(part, range.toString());
        Script partial = script(part, fingerprint);
        assertThat(partial.status()).as(partial.output()).isZero();
        assertThat(partial.output()).contains("intact: 12 events up to 14; signed through event 14");
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Script(int status, String output) {
    }

    private static Script script(Path export, String fingerprint) throws Exception {
        List<String> command = new ArrayList<>(List.of("scripts/verify-audit-export.sh", export.toString()));
        if (fingerprint != null) {
            command.add(fingerprint);
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Script(p.exitValue(), output);
    }
}
