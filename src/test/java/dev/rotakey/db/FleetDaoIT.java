package dev.rotakey.db;

import dev.rotakey.api.FleetView;
import dev.rotakey.api.RecentRotationsView;
import dev.rotakey.api.RotationView;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.Rotation;
import dev.rotakey.service.FleetQueries;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fleet aggregates behind the Prometheus gauges, on H2 and on PostgreSQL, over a small fleet with every edge case. */
public class FleetDaoIT {
    public static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    @TempDir
    static Path dir;

    /** One populated database per engine, shared by the read-only tests: migrations are the slow part. */
    private static final Map<Engine, TestDatabase> POPULATED = new EnumMap<>(Engine.class);
    private TestDatabase empty;

    @AfterEach
    void closeEmpty() throws Exception {
        if (empty != null) {
            empty.close();
        }
    }

    @AfterAll
    static void closePopulated() throws Exception {
        for (TestDatabase db : POPULATED.values()) {
            db.close();
        }
    }

    private static <T> T read(Store store, Function<FleetDao, T> query) {
        return store.read(d -> query.apply(d.fleet()));
    }

    private static Store fleet(Engine engine) throws Exception {
        TestDatabase db = POPULATED.get(engine);
        if (db == null) {
            db = TestDatabases.open(engine, dir.resolve(engine.name()));
            db.jdbi().useTransaction(FleetDaoIT::populate);
            POPULATED.put(engine, db);
        }
        return db.store();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void countsCredentialsAndVersionsByState(Engine engine) throws Exception {
        Store store = fleet(engine);
        assertThat(read(store, FleetDao::credentialsByStatus))
                .containsExactlyInAnyOrderEntriesOf(Map.of("ACTIVE", 7L, "DECOMMISSIONED", 1L));
        assertThat(read(store, FleetDao::versionsByState)).containsExactlyInAnyOrderEntriesOf(
                Map.of("CURRENT", 6L, "PREVIOUS", 2L, "REVOKED", 2L, "FAILED", 1L, "PENDING", 1L));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void countsCredentialsWhoseLatestFinishedRotationFailedAsTheHealthCheckDoes(Engine engine) throws Exception {
        Store store = fleet(engine);
        long failed = read(store, FleetDao::credentialsWithFailedRotation);
        assertThat(failed).isEqualTo(2);
        List<Rotation> latestFailed = store.read(d -> d.rotations().latestFailed(100));
        assertThat(latestFailed).extracting(Rotation::credentialId).containsExactlyInAnyOrder("due", "later");
        assertThat(read(store, FleetDao::rotationsRunning)).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void countsOutstandingFailedRevocations(Engine engine) throws Exception {
        Store store = fleet(engine);
        assertThat(read(store, FleetDao::failedRevocations)).isEqualTo(2)
                .isEqualTo(store.read(d -> d.versions().failedRevocations()).longValue());
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void findsTheEarliestRotationOfAnActiveCredentialAndCountsTheOverdueOnes(Engine engine) throws Exception {
        Store store = fleet(engine);
        // The decommissioned credential's stale next rotation (three days ago) is ignored.
        assertThat(read(store, FleetDao::earliestNextRotation)).contains(NOW.minus(Duration.ofHours(2)));
        long overdueAnHour = store.read(d -> d.fleet().overdue(NOW.minus(Duration.ofHours(1))));
        long due = store.read(d -> d.fleet().overdue(NOW));
        long overdueADay = store.read(d -> d.fleet().overdue(NOW.minus(Duration.ofDays(1))));
        assertThat(overdueAnHour).isEqualTo(1);
        assertThat(due).isEqualTo(2);
        assertThat(overdueADay).isZero();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void theLastSuccessfulRotationIsTheLatestPromotion(Engine engine) throws Exception {
        Store store = fleet(engine);
        assertThat(read(store, FleetDao::lastSuccessfulRotation)).contains(NOW.minus(Duration.ofMinutes(30)));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void theEarliestCurrentCertificateExpiryIsPerCaAcrossGenerationsIgnoringRevokedAndSupersededOnes(Engine engine)
            throws Exception {
        Store store = fleet(engine);
        assertThat(read(store, FleetDao::earliestCurrentCertificateExpiry)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "agents-ca", NOW.plus(Duration.ofDays(10)),
                "other-ca", NOW.plus(Duration.ofDays(40))));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void listsTheCertificatesOfActiveAndRetiringCaGenerations(Engine engine) throws Exception {
        Store store = fleet(engine);
        assertThat(read(store, FleetDao::caCertificatesInUse)).containsExactly(
                new FleetDao.CaCertificate("agents-ca", 2, "ACTIVE", "PEM agents-ca 2"),
                new FleetDao.CaCertificate("other-ca", 1, "RETIRING", "PEM other-ca 1"));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void listsActiveCredentialsSchedulesUpToTheLimit(Engine engine) throws Exception {
        Store store = fleet(engine);
        List<FleetDao.CredentialSchedule> firstThree = store.read(d -> d.fleet().activeSchedules(3));
        List<FleetDao.CredentialSchedule> all = store.read(d -> d.fleet().activeSchedules(100));
        assertThat(firstThree).containsExactly(
                new FleetDao.CredentialSchedule("cert", "a1", "team-a@example.com", NOW.plus(Duration.ofDays(5)), 2),
                new FleetDao.CredentialSchedule("cert2", "a2", "team-b@example.com", NOW.plus(Duration.ofDays(6)), 1),
                new FleetDao.CredentialSchedule("cert3", "a2", "team-b@example.com", NOW.plus(Duration.ofDays(6)), 1));
        assertThat(all).hasSize(7)
                .noneMatch(s -> s.credentialId().equals("decom"))
                .anyMatch(s -> s.credentialId().equals("fresh") && s.currentVersion() == null);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void countsActiveCredentialsByOwnerAndTypeForTheFleetEndpoint(Engine engine) throws Exception {
        Store store = fleet(engine);
        Map<String, Long> owners = store.read(d -> d.fleet().activeCredentialsByOwner(10));
        Map<String, Long> largest = store.read(d -> d.fleet().activeCredentialsByOwner(1));
        assertThat(owners).containsExactly(Map.entry("team-a@example.com", 4L), Map.entry("team-b@example.com", 3L));
        assertThat(largest).containsExactly(Map.entry("team-a@example.com", 4L));
        assertThat(read(store, FleetDao::ownersWithActiveCredentials)).isEqualTo(2);
        assertThat(read(store, FleetDao::activeCredentialsByType)).containsExactly(
                Map.entry("api-key", 3L), Map.entry("certificate", 3L), Map.entry("password", 1L));

        FleetView fleet = new FleetQueries(store, Clock.fixed(NOW, ZoneOffset.UTC)).fleet(1);
        assertThat(fleet.owners()).isEqualTo(new FleetView.Owners(
                List.of(new FleetView.OwnerCount("team-a@example.com", 4)), 1, 3));
        assertThat(fleet.failing()).isEqualTo(2);
        assertThat(fleet.rotating()).isEqualTo(1);
        assertThat(fleet.overdue()).isEqualTo(2);
        assertThat(fleet.credentials()).containsEntry("ACTIVE", 7L);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void listsTheRecentRotationsFailedFirstWithExactCountsByState(Engine engine) throws Exception {
        Store store = fleet(engine);
        FleetQueries queries = new FleetQueries(store, Clock.fixed(NOW, ZoneOffset.UTC));
        RecentRotationsView day = queries.rotations("PT24H", null, 100);
        assertThat(day.counts()).containsExactly(Map.entry("FAILED", 3L), Map.entry("RUNNING", 1L), Map.entry("SUCCEEDED", 2L));
        assertThat(day.rotations()).extracting(RotationView::id).containsExactly("r1", "r5", "r2", "r6", "r3", "r4");
        assertThat(day.more()).isZero();
        assertThat(day.since()).isEqualTo(NOW.minus(Duration.ofHours(24)));

        RecentRotationsView firstTwo = queries.rotations(null, null, 2);
        assertThat(firstTwo.rotations()).extracting(RotationView::id).containsExactly("r1", "r5");
        assertThat(firstTwo.more()).isEqualTo(4);
        assertThat(queries.rotations("PT90M", null, 100).rotations()).extracting(RotationView::id).containsExactly("r6", "r3");
        RecentRotationsView failed = queries.rotations("PT24H", "failed", 100);
        assertThat(failed.counts()).containsExactly(Map.entry("FAILED", 3L));
        assertThat(failed.rotations()).extracting(RotationView::state).containsOnly("FAILED");

        for (String[] bad : new String[][]{{"since", "tomorrow"}, {"since", "-PT1H"}, {"since", "P32D"}, {"state", "DONE"}}) {
            assertThatThrownBy(() -> queries.rotations(bad[0].equals("since") ? bad[1] : null,
                    bad[0].equals("state") ? bad[1] : null, 10))
                    .isInstanceOfSatisfying(RejectedException.class, e -> assertThat(e.field()).isEqualTo(bad[0]));
        }
        assertThatThrownBy(() -> queries.rotations(null, null, 0))
                .isInstanceOfSatisfying(RejectedException.class, e -> assertThat(e.field()).isEqualTo("limit"));
        assertThatThrownBy(() -> queries.fleet(1001))
                .isInstanceOfSatisfying(RejectedException.class, e -> assertThat(e.field()).isEqualTo("owners"));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void anEmptyFleetHasZeroCountsAndNoTimes(Engine engine) throws Exception {
        empty = TestDatabases.open(engine, dir.resolve("empty-" + engine.name()));
        Store store = empty.store();
        assertThat(read(store, FleetDao::credentialsByStatus)).isEmpty();
        assertThat(read(store, FleetDao::credentialsWithFailedRotation)).isZero();
        assertThat(read(store, FleetDao::earliestNextRotation)).isEmpty();
        assertThat(read(store, FleetDao::lastSuccessfulRotation)).isEqualTo(Optional.empty());
        assertThat(read(store, FleetDao::earliestCurrentCertificateExpiry)).isEmpty();
        assertThat(new FleetQueries(store, Clock.fixed(NOW, ZoneOffset.UTC)).fleet(10).owners())
                .isEqualTo(new FleetView.Owners(List.of(), 0, 0));
        assertThat(new FleetQueries(store, Clock.fixed(NOW, ZoneOffset.UTC)).rotations(null, null, 10).counts()).isEmpty();
        List<FleetDao.CredentialSchedule> none = store.read(d -> d.fleet().activeSchedules(10));
        assertThat(none).isEmpty();
    }

    /**
     * Agents a1 and a2; credentials "due" (2 h overdue), "soon" (due 10 min ago), "later" (due
     * tomorrow), "fresh" (no version yet), three certificates and one decommissioned credential.
     */
    public static void populate(Handle h) {
        agent(h, "a1", "team-a@example.com");
        agent(h, "a2", "team-b@example.com");
        credential(h, "due", "a1", "api-key", "ACTIVE", NOW.minus(Duration.ofHours(2)));
        credential(h, "soon", "a1", "api-key", "ACTIVE", NOW.minus(Duration.ofMinutes(10)));
        credential(h, "later", "a1", "password", "ACTIVE", NOW.plus(Duration.ofDays(1)));
        credential(h, "fresh", "a2", "api-key", "ACTIVE", NOW.plus(Duration.ofDays(7)));
        credential(h, "cert", "a1", "certificate", "ACTIVE", NOW.plus(Duration.ofDays(5)));
        credential(h, "cert2", "a2", "certificate", "ACTIVE", NOW.plus(Duration.ofDays(6)));
        credential(h, "cert3", "a2", "certificate", "ACTIVE", NOW.plus(Duration.ofDays(6)));
        credential(h, "decom", "a2", "api-key", "DECOMMISSIONED", NOW.minus(Duration.ofDays(3)));

        version(h, "due", 1, "CURRENT", NOW.minus(Duration.ofDays(3)), null);
        version(h, "soon", 1, "PREVIOUS", NOW.minus(Duration.ofDays(8)), "target unreachable");
        version(h, "soon", 2, "CURRENT", NOW.minus(Duration.ofHours(1)), null);
        version(h, "later", 1, "REVOKED", NOW.minus(Duration.ofDays(9)), null);
        version(h, "later", 2, "CURRENT", NOW.minus(Duration.ofHours(2)), null);
        version(h, "later", 3, "FAILED", null, null);
        version(h, "later", 4, "PENDING", null, null);
        version(h, "cert", 1, "PREVIOUS", NOW.minus(Duration.ofDays(20)), null);
        version(h, "cert", 2, "CURRENT", NOW.minus(Duration.ofMinutes(30)), null);
        version(h, "cert2", 1, "CURRENT", NOW.minus(Duration.ofDays(20)), null);
        version(h, "cert3", 1, "CURRENT", NOW.minus(Duration.ofDays(20)), null);
        version(h, "decom", 1, "REVOKED", NOW.minus(Duration.ofDays(30)), "permission denied");

        rotation(h, "r1", "due", "FAILED", NOW.minus(Duration.ofHours(2)));
        rotation(h, "r2", "soon", "FAILED", NOW.minus(Duration.ofHours(5)));
        rotation(h, "r3", "soon", "SUCCEEDED", NOW.minus(Duration.ofHours(1)));
        rotation(h, "r4", "later", "SUCCEEDED", NOW.minus(Duration.ofHours(3)));
        rotation(h, "r5", "later", "FAILED", NOW.minus(Duration.ofHours(2)));
        rotation(h, "r6", "later", "RUNNING", NOW.minus(Duration.ofMinutes(1)));   // does not hide r5's failure

        ca(h, "agents-ca", 1, "RETIRED");
        ca(h, "agents-ca", 2, "ACTIVE");
        ca(h, "other-ca", 1, "RETIRING");
        // Superseded, unrevoked during its grace period, and the earliest of all: not current, so not counted.
        issued(h, "01", "agents-ca", 1, "cert", 1, NOW.plus(Duration.ofDays(1)), null);
        issued(h, "02", "agents-ca", 2, "cert", 2, NOW.plus(Duration.ofDays(20)), null);
        issued(h, "03", "agents-ca", 1, "cert2", 1, NOW.plus(Duration.ofDays(10)), null);
        // Revoked in an emergency while its version is still CURRENT (the new one not yet promoted): not counted.
        issued(h, "04", "other-ca", 1, "cert3", 1, NOW.plus(Duration.ofDays(2)), NOW.minus(Duration.ofMinutes(5)));
        issued(h, "05", "other-ca", 1, "cert3", 1, NOW.plus(Duration.ofDays(40)), null);
    }

    private static void agent(Handle h, String id, String owner) {
        h.createUpdate("INSERT INTO agents (id, owner, kind, attributes, status, created_at) "
                        + "VALUES (:id, :owner, 'PERSISTENT', '{}', 'ACTIVE', :at)")
                .bind("id", id).bind("owner", owner).bind("at", NOW.minus(Duration.ofDays(60))).execute();
    }

    private static void credential(Handle h, String id, String agent, String type, String status, Instant next) {
        h.createUpdate("INSERT INTO credentials (id, agent_id, type, backend, grace_period, bindings, status, "
                        + "next_rotation_at, created_at) VALUES (:id, :agent, :type, 'hsm', 'PT1H', '[]', :status, :next, :at)")
                .bind("id", id).bind("agent", agent).bind("type", type).bind("status", status).bind("next", next)
                .bind("at", NOW.minus(Duration.ofDays(60))).execute();
    }

    private static void version(Handle h, String credential, int version, String state, Instant promoted,
                                String revokeError) {
        h.createUpdate("INSERT INTO credential_versions (credential_id, version, state, created_at, promoted_at, "
                        + "revoke_error) VALUES (:c, :v, :state, :at, :promoted, :error)")
                .bind("c", credential).bind("v", version).bind("state", state)
                .bind("at", NOW.minus(Duration.ofDays(60))).bind("promoted", promoted).bind("error", revokeError)
                .execute();
    }

    private static void rotation(Handle h, String id, String credential, String state, Instant started) {
        boolean running = state.equals("RUNNING");
        h.createUpdate("INSERT INTO rotations (id, credential_id, version, trigger_kind, actor, state, step, attempts, "
                        + "emergency, correlation_id, started_at, updated_at, finished_at) VALUES (:id, :c, 1, 'SCHEDULE', "
                        + "'scheduler', :state, :step, 0, FALSE, 'corr', :started, :started, :finished)")
                .bind("id", id).bind("c", credential).bind("state", state).bind("step", running ? "DELIVER" : "DONE")
                .bind("started", started).bind("finished", running ? null : started.plusSeconds(5)).execute();
    }

    private static void ca(Handle h, String name, int generation, String state) {
        h.createUpdate("INSERT INTO certificate_authorities (name, generation, key_alias, key_spec, backend, certificate, "
                        + "state, created_at) VALUES (:n, :g, :alias, 'EC_P256', 'hsm', :pem, :state, :at)")
                .bind("n", name).bind("g", generation).bind("alias", name + "-" + generation)
                .bind("pem", "PEM " + name + " " + generation).bind("state", state)
                .bind("at", NOW.minus(Duration.ofDays(100))).execute();
    }

    private static void issued(Handle h, String serial, String ca, int generation, String credential, int version,
                               Instant notAfter, Instant revokedAt) {
        h.createUpdate("INSERT INTO issued_certificates (serial, ca_name, ca_generation, credential_id, version, agent_id, "
                        + "not_before, not_after, issued_at, revoked_at) VALUES (:s, :ca, :g, :c, :v, 'a1', :nb, :na, :nb, :rev)")
                .bind("s", serial).bind("ca", ca).bind("g", generation).bind("c", credential).bind("v", version)
                .bind("nb", NOW.minus(Duration.ofDays(20))).bind("na", notAfter).bind("rev", revokedAt).execute();
    }
}
