package dev.rotakey.posture;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.GovernanceFactory;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The posture report over a fleet of 10,000 credentials in which one of each problem is planted, on H2 and PostgreSQL:
 * each planted problem is listed exactly once, with its remedy, and nothing else is; the time one report takes is
 * printed (docs/performance.md) and held to a generous bound and to a ratio of one plain read of the fleet. Then the
 * recorder makes each finding an audit event once, and again only after it went away and came back.
 */
class PostureReportIT {
    private static final Instant NOW = Instant.parse("2025-06-02T12:00:00Z");
    private static final int FLEET = 10_000;
    private static final String PLANTED_OWNER = "planted@example.com";

    @TempDir
    Path dir;
    private TestDatabase db;

    @AfterEach
    void close() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void listsEachPlantedProblemOnceWithinASecond(TestDatabases.Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir.resolve("db"));
        Map<FindingKind, String> planted = new EnumMap<>(FindingKind.class);
        db.jdbi().useTransaction(h -> {
            Fleet fleet = new Fleet(h, db.postgres());
            planted.putAll(fleet.plant());
            fleet.fill(FLEET);
            fleet.flush();
        });
        if (db.postgres()) {
            db.jdbi().useHandle(h -> h.execute("ANALYZE"));
        }
        int stored = db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM credentials").mapTo(Integer.class).one());
        assertThat(stored).isEqualTo(FLEET);
        TestClock clock = new TestClock(NOW);
        PostureReports reports = new PostureReports(db.store(), policy(), clock);

        PostureReport report = reports.report(null, null);
        assertThat(report.findings()).extracting(Finding::kind).containsExactlyInAnyOrderElementsOf(planted.keySet());
        for (Finding f : report.findings()) {
            assertThat(f.subject()).as(f.kind().wireName()).isEqualTo(planted.get(f.kind()));
            assertThat(f.remedy()).as(f.kind().wireName()).isNotBlank().doesNotContain("\n");
            assertThat(f.summary()).as(f.kind().wireName()).isNotBlank().doesNotContain("\n");
            assertThat(f.audit()).startsWith("/api/v1/audit?subject=");
            assertThat(f.severity()).isEqualTo(f.kind().severity());
        }
        assertThat(report.counts().credentials()).isEqualTo(FLEET);
        assertThat(report.counts().byOwner().get(PLANTED_OWNER).findings()).isEqualTo(planted.size() - 2);
        assertThat(report.truncated()).isEmpty();
        // A few findings in 10,000 credentials: 99, not 100, which means nothing to fix.
        assertThat(report.score()).isEqualTo(99);

        // Measured: best of five reports, against the best of five plain reads of every credential with its agent and
        // current version (the least any report of the whole fleet must do).
        long best = Long.MAX_VALUE;
        long reference = Long.MAX_VALUE;
        for (int run = 0; run < 5; run++) {
            long t0 = System.nanoTime();
            reports.report(null, null);
            best = Math.min(best, System.nanoTime() - t0);
            long t1 = System.nanoTime();
            db.store().read(d -> d.fleet().activeSchedules(FLEET + 1));
            reference = Math.min(reference, System.nanoTime() - t1);
        }
        System.out.printf("posture report, %s, %,d credentials: %.1f ms (best of 5); one read of the fleet %.1f ms; "
                + "ratio %.1f%n", engine, FLEET, best / 1e6, reference / 1e6, (double) best / reference);
        assertThat(Duration.ofNanos(best)).isLessThan(Duration.ofSeconds(5));
        assertThat((double) best / reference).isLessThan(50.0);

        // One owner's view, and a minimum severity.
        PostureReport mine = reports.report(PLANTED_OWNER, Severity.HIGH);
        assertThat(mine.findings()).allMatch(f -> f.severity().atLeast(Severity.HIGH) && PLANTED_OWNER.equals(f.owner()));
        assertThat(mine.counts().byOwner()).containsOnlyKeys(PLANTED_OWNER);

        // Recorded once, while it persists; resolved when gone, recorded again when it comes back.
        PostureRecorder recorder = new PostureRecorder(db.store(), new AuditLog(db.store(), clock,
                NodeIdentity.single("test-node")), reports, Duration.ofHours(1));
        assertThat(recorder.recordNew()).isEqualTo(planted.size());
        assertThat(recorder.recordNew()).isZero();
        List<String> audited = db.jdbi().withHandle(h -> h.createQuery(
                "SELECT subject FROM audit_events WHERE action = 'posture.finding'").mapTo(String.class).list());
        assertThat(audited).containsExactlyInAnyOrderElementsOf(planted.values());
        String overdue = planted.get(FindingKind.ROTATION_OVERDUE).substring("credential:".length());
        setNextRotation(overdue, NOW.plus(Duration.ofDays(1)));
        assertThat(recorder.recordNew()).isZero();
        setNextRotation(overdue, NOW.minus(Duration.ofHours(2)));
        assertThat(recorder.recordNew()).isEqualTo(1);
    }

    private void setNextRotation(String credential, Instant at) {
        db.jdbi().useHandle(h -> h.createUpdate("UPDATE credentials SET next_rotation_at = :at WHERE id = :id")
                .bind("at", at).bind("id", credential).execute());
    }

    private static PosturePolicy policy() {
        GovernanceFactory g = new GovernanceFactory();
        g.setAttestEvery(Duration.ofDays(90));
        return PosturePolicy.of(g, Duration.ofHours(1));
    }

    /** Batch inserts of a healthy fleet and of one problem of each kind, each on an agent of its own. */
    private static final class Fleet {
        private final PreparedBatch agent;
        private final PreparedBatch credential;
        private final PreparedBatch version;
        private final PreparedBatch usage;
        private final PreparedBatch certificate;
        private final Handle h;
        private final boolean postgres;
        private int credentials;

        Fleet(Handle h, boolean postgres) {
            this.h = h;
            this.postgres = postgres;
            agent = h.prepareBatch("INSERT INTO agents (id, owner, kind, attributes, status, created_at, attested_at, "
                    + "suspended_at) VALUES (:id, :owner, 'PERSISTENT', '{}', 'ACTIVE', :created, :attested, :suspended)");
            credential = h.prepareBatch("INSERT INTO credentials (id, agent_id, type, backend, rotation_every, grace_period, "
                    + "bindings, status, next_rotation_at, created_at, acknowledgement_policy) VALUES (:id, :agent, :type, "
                    + "'hsm', 'P30D', 'PT1H', '[]', 'ACTIVE', :next, :created, :acks)");
            version = h.prepareBatch("INSERT INTO credential_versions (credential_id, version, state, created_at, "
                    + "promoted_at, revoke_error) VALUES (:c, :v, :state, :at, :at, :error)");
            usage = h.prepareBatch("INSERT INTO usage_summary (credential_id, first_used_at, last_used_at, last_version, "
                    + "last_relying_service, last_source, uses) VALUES (:c, :at, :at, :v, 'billing-svc', '10.0.0.0/24', 5)");
            certificate = h.prepareBatch("INSERT INTO issued_certificates (serial, ca_name, ca_generation, credential_id, "
                    + "version, agent_id, not_before, not_after, issued_at) VALUES (:s, 'agents-ca', 1, :c, :v, :agent, "
                    + ":nb, :na, :nb)");
        }

        void agent(String id, String owner, Instant attested, Instant suspended) {
            agent.bind("id", id).bind("owner", owner).bind("created", NOW.minus(Duration.ofDays(200)))
                    .bind("attested", attested).bind("suspended", suspended).add();
        }

        /** A healthy credential: version 2 CURRENT (1 REVOKED), used an hour ago, its certificate valid 30 days. */
        void healthy(String id, String agentId, boolean cert) {
            credential(id, agentId, cert ? "certificate" : "api-key", NOW.plus(Duration.ofDays(10)), null);
            version(id, 1, "REVOKED", NOW.minus(Duration.ofDays(25)), null);
            version(id, 2, "CURRENT", NOW.minus(Duration.ofDays(5)), null);
            if (cert) {
                certificate(id, agentId, 2, Duration.ofDays(30));
            } else {
                used(id, 2, NOW.minus(Duration.ofHours(1)));
            }
        }

        void credential(String id, String agentId, String type, Instant next, String acks) {
            credential.bind("id", id).bind("agent", agentId).bind("type", type).bind("next", next)
                    .bind("created", NOW.minus(Duration.ofDays(40))).bind("acks", acks).add();
            credentials++;
        }

        void version(String id, int v, String state, Instant at, String error) {
            version.bind("c", id).bind("v", v).bind("state", state).bind("at", at).bind("error", error).add();
        }

        void used(String id, int v, Instant at) {
            usage.bind("c", id).bind("v", v).bind("at", at).add();
        }

        void certificate(String id, String agentId, int v, Duration validity) {
            Instant nb = NOW.minus(Duration.ofDays(5));
            certificate.bind("s", id + "-" + v).bind("c", id).bind("v", v).bind("agent", agentId).bind("nb", nb)
                    .bind("na", nb.plus(validity)).add();
        }

        /** One agent per problem, healthy but for it; returns each kind's expected subject. */
        Map<FindingKind, String> plant() {
            Map<FindingKind, String> subjects = new EnumMap<>(FindingKind.class);
            Instant recently = NOW.minus(Duration.ofDays(1));
            agent("p-suspended", PLANTED_OWNER, NOW.minus(Duration.ofDays(95)), NOW.minus(Duration.ofDays(5)));
            subjects.put(FindingKind.AGENT_SUSPENDED, "agent:p-suspended");
            agent("p-attest-overdue", PLANTED_OWNER, NOW.minus(Duration.ofDays(100)), null);
            subjects.put(FindingKind.ATTESTATION_OVERDUE, "agent:p-attest-overdue");
            agent("p-attest-due", PLANTED_OWNER, NOW.minus(Duration.ofDays(80)), null);
            subjects.put(FindingKind.ATTESTATION_DUE, "agent:p-attest-due");
            agent("p-many", PLANTED_OWNER, recently, null);
            for (int i = 0; i < 11; i++) {
                healthy("p-many-" + i, "p-many", false);
            }
            subjects.put(FindingKind.TOO_MANY_CREDENTIALS, "agent:p-many");
            agent("p-creds", PLANTED_OWNER, recently, null);
            // Each problem of a credential on its own credential of agent p-creds (at most 10 of them).
            credential("p-overdue", "p-creds", "api-key", NOW.minus(Duration.ofHours(2)), null);
            version("p-overdue", 1, "REVOKED", NOW.minus(Duration.ofDays(25)), null);
            version("p-overdue", 2, "CURRENT", NOW.minus(Duration.ofDays(5)), null);
            used("p-overdue", 2, NOW.minus(Duration.ofHours(1)));
            subjects.put(FindingKind.ROTATION_OVERDUE, "credential:p-overdue");
            credential("p-never-rotated", "p-creds", "api-key", NOW.plus(Duration.ofDays(1)), null);
            version("p-never-rotated", 1, "CURRENT", NOW.minus(Duration.ofDays(40)), null);
            used("p-never-rotated", 1, NOW.minus(Duration.ofHours(1)));
            subjects.put(FindingKind.NEVER_ROTATED, "credential:p-never-rotated");
            credential("p-long-cert", "p-creds", "certificate", NOW.plus(Duration.ofDays(10)), null);
            version("p-long-cert", 1, "REVOKED", NOW.minus(Duration.ofDays(25)), null);
            version("p-long-cert", 2, "CURRENT", NOW.minus(Duration.ofDays(5)), null);
            certificate("p-long-cert", "p-creds", 2, Duration.ofDays(365));
            subjects.put(FindingKind.CERTIFICATE_VALIDITY, "credential:p-long-cert/v2");
            credential("p-unused", "p-creds", "password", NOW.plus(Duration.ofDays(10)), null);
            version("p-unused", 1, "REVOKED", NOW.minus(Duration.ofDays(25)), null);
            version("p-unused", 2, "CURRENT", NOW.minus(Duration.ofDays(5)), null);
            used("p-unused", 2, NOW.minus(Duration.ofDays(40)));
            subjects.put(FindingKind.UNUSED, "credential:p-unused");
            credential("p-never-verified", "p-creds", "api-key", NOW.plus(Duration.ofDays(10)), null);
            version("p-never-verified", 1, "REVOKED", NOW.minus(Duration.ofDays(25)), null);
            version("p-never-verified", 2, "CURRENT", NOW.minus(Duration.ofDays(5)), null);
            subjects.put(FindingKind.NEVER_VERIFIED, "credential:p-never-verified");
            credential("p-unacked", "p-creds", "api-key", NOW.plus(Duration.ofDays(10)),
                    "{\"consumers\":[\"svc-a\",\"svc-b\"],\"maxGracePeriod\":\"PT3H\"}");
            version("p-unacked", 1, "PREVIOUS", NOW.minus(Duration.ofDays(25)), null);
            version("p-unacked", 2, "CURRENT", NOW.minus(Duration.ofHours(1)), null);
            used("p-unacked", 2, NOW.minus(Duration.ofMinutes(5)));
            h.createUpdate("INSERT INTO version_acknowledgements (credential_id, version, consumer, acknowledged_at, actor) "
                    + "VALUES ('p-unacked', 2, 'svc-a', :at, 'svc-a')").bind("at", NOW.minus(Duration.ofMinutes(30))).execute();
            subjects.put(FindingKind.UNACKNOWLEDGED, "credential:p-unacked/v2");
            credential("p-previous", "p-creds", "api-key", NOW.plus(Duration.ofDays(10)), null);
            version("p-previous", 1, "PREVIOUS", NOW.minus(Duration.ofDays(25)), null);
            version("p-previous", 2, "CURRENT", NOW.minus(Duration.ofHours(3)), null);
            used("p-previous", 1, NOW.minus(Duration.ofMinutes(30)));
            // HOUR is a keyword to H2, where Liquibase quoted the column's name.
            String hour = postgres ? "hour" : "\"HOUR\"";
            h.createUpdate("INSERT INTO usage_hourly (credential_id, version, " + hour + ", relying_service, source_network, uses, "
                    + "denied, last_used_at, last_source) VALUES ('p-previous', 1, :hour, 'billing-svc', '10.0.0.0/24', 7, 0, "
                    + ":at, '10.0.0.7')").bind("hour", NOW.minus(Duration.ofMinutes(30)).truncatedTo(ChronoUnit.HOURS))
                    .bind("at", NOW.minus(Duration.ofMinutes(30))).execute();
            subjects.put(FindingKind.PREVIOUS_IN_USE, "credential:p-previous/v1");
            credential("p-removal", "p-creds", "api-key", NOW.plus(Duration.ofDays(10)), null);
            version("p-removal", 1, "REVOKED", NOW.minus(Duration.ofDays(25)), "redis-main: NOPERM");
            version("p-removal", 2, "CURRENT", NOW.minus(Duration.ofDays(5)), null);
            used("p-removal", 2, NOW.minus(Duration.ofHours(1)));
            subjects.put(FindingKind.REVOCATION_FAILED, "credential:p-removal/v1");
            h.createUpdate("INSERT INTO api_tokens (name, digest, role, created_at, last_used_at) VALUES "
                    + "('ci-old', 'd1', 'operator', :created, NULL)").bind("created", NOW.minus(Duration.ofDays(60))).execute();
            subjects.put(FindingKind.TOKEN_UNUSED, "token:ci-old");
            h.createUpdate("INSERT INTO api_tokens (name, digest, role, created_at, last_used_at, needed_role) VALUES "
                    + "('dashboard', 'd2', 'admin', :created, :used, 'auditor')")
                    .bind("created", NOW.minus(Duration.ofDays(30))).bind("used", NOW.minus(Duration.ofHours(1))).execute();
            subjects.put(FindingKind.TOKEN_TOO_BROAD, "token:dashboard");
            // Tokens that are fine: used and needing their role.
            h.createUpdate("INSERT INTO api_tokens (name, digest, role, created_at, last_used_at, needed_role) VALUES "
                    + "('verifier', 'd3', 'verifier', :created, :used, 'verifier')")
                    .bind("created", NOW.minus(Duration.ofDays(30))).bind("used", NOW.minus(Duration.ofHours(1))).execute();
            return subjects;
        }

        /** Healthy agents of up to 10 credentials, ten owners, until the fleet has {@code total} credentials. */
        void fill(int total) {
            for (int a = 0; credentials < total; a++) {
                String agentId = String.format("agent-%05d", a);
                agent(agentId, "team-" + (a % 10) + "@example.com", NOW.minus(Duration.ofDays(1 + a % 60)), null);
                for (int i = 0; i < 10 && credentials < total; i++) {
                    healthy(agentId + "-" + i, agentId, (credentials % 10) == 0);
                }
                if (a % 200 == 199) {
                    flush();
                }
            }
        }

        void flush() {
            for (PreparedBatch b : List.of(agent, credential, version, usage, certificate)) {
                if (b.size() > 0) {
                    b.execute();
                }
            }
        }
    }
}
