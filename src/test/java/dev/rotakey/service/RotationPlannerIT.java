package dev.rotakey.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.rotakey.api.PlanView;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Agent.AgentKind;
import dev.rotakey.core.Agent.AgentStatus;
import dev.rotakey.core.Credential;
import dev.rotakey.core.Credential.CredentialStatus;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.db.IssuedCertificateDao.IssuedRecord;
import dev.rotakey.db.PlanDao;
import dev.rotakey.db.Store;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rotation plan on H2 and PostgreSQL: which rotations, revocations and expiries fall in the window,
 * exact counts when the items are capped, counts per hour, and refused windows and limits.
 */
class RotationPlannerIT {
    private static final Instant NOW = Instant.parse("2026-12-02T18:10:00Z");

    @TempDir
    Path dir;

    private TestDatabase db;
    private final TestClock clock = new TestClock(NOW);
    private final AtomicBoolean paused = new AtomicBoolean();

    @AfterEach
    void close() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    private RotationPlanner planner(Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir.resolve("db"));
        return new RotationPlanner(db.store(), clock, paused::get);
    }

    private static Instant at(String offset) {
        return offset.startsWith("-") ? NOW.minus(Duration.parse(offset.substring(1))) : NOW.plus(Duration.parse(offset));
    }

    private static Agent agent(String id, AgentKind kind, AgentStatus status, Instant expiresAt) {
        return new Agent(id, id + "-owner@example.org", kind, null, Map.of(), status, expiresAt, NOW.minus(Duration.ofDays(30)),
                status == AgentStatus.DECOMMISSIONED ? NOW.minus(Duration.ofDays(1)) : null);
    }

    private static Credential credential(String id, String agent, CredentialStatus status, Instant next) {
        return new Credential(id, agent, CredentialType.API_KEY, "hsm", RotationPolicy.every(Duration.ofDays(30)),
                Duration.ofHours(1), List.of(new TargetBinding("local-files", Map.of("path", id))), status, next,
                NOW.minus(Duration.ofDays(30)), status == CredentialStatus.DECOMMISSIONED ? NOW : null);
    }

    private static CredentialVersion version(String credential, int n, VersionState state, Instant revokeAfter) {
        return new CredentialVersion(credential, n, state, credential + "-digest-" + n, "k1", null,
                NOW.minus(Duration.ofDays(30)), NOW.minus(Duration.ofDays(2)), revokeAfter,
                state == VersionState.REVOKED ? NOW : null, state == VersionState.REVOKED ? RevocationReason.SUPERSEDED : null,
                0, null);
    }

    private static IssuedRecord certificate(String serial, String ca, int generation, String credential, int version,
                                            String agent, Instant notAfter, boolean revoked) {
        return new IssuedRecord(serial, ca, generation, credential, version, agent, NOW.minus(Duration.ofDays(20)), notAfter,
                NOW.minus(Duration.ofDays(20)), revoked ? NOW.minus(Duration.ofHours(1)) : null, revoked ? "SUPERSEDED" : null);
    }

    /** A self-signed CA certificate in PEM whose notAfter is {@code notAfter}. */
    private static String caCertificate(String name, Instant notAfter) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair kp = g.generateKeyPair();
        X500Name subject = new X500Name("CN=" + name);
        byte[] der = new JcaX509v3CertificateBuilder(subject, BigInteger.ONE, Date.from(NOW.minus(Duration.ofDays(365))),
                Date.from(notAfter), subject, kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())).getEncoded();
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
    }

    /** The fixture: a little of everything, some of it just outside the 24-hour window or not scheduled at all. */
    private void fixture(Store store) throws Exception {
        String caPem = caCertificate("agents-ca", at("PT10H"));
        String retiredPem = caCertificate("agents-ca", at("PT5H"));
        String farPem = caCertificate("other-ca", at("P300D"));
        store.txRun(d -> {
            d.agents().insert(agent("bot", AgentKind.PERSISTENT, AgentStatus.ACTIVE, null));
            d.agents().insert(agent("temp", AgentKind.EPHEMERAL, AgentStatus.ACTIVE, at("PT3H")));
            d.agents().insert(agent("temp-later", AgentKind.EPHEMERAL, AgentStatus.ACTIVE, at("PT30H")));
            d.agents().insert(agent("temp-gone", AgentKind.EPHEMERAL, AgentStatus.DECOMMISSIONED, at("PT4H")));

            d.credentials().insert(credential("due-soon", "bot", CredentialStatus.ACTIVE, at("PT1H")));
            d.credentials().insert(credential("due-later", "temp", CredentialStatus.ACTIVE, at("PT23H")));
            d.credentials().insert(credential("beyond", "bot", CredentialStatus.ACTIVE, at("PT25H")));
            d.credentials().insert(credential("late", "bot", CredentialStatus.ACTIVE, at("-PT2H")));
            d.credentials().insert(credential("gone", "bot", CredentialStatus.DECOMMISSIONED, at("PT1H")));

            d.versions().insert(version("due-soon", 1, VersionState.PREVIOUS, at("PT1H30M")));
            d.versions().insert(version("due-soon", 2, VersionState.CURRENT, null));
            d.versions().insert(version("late", 1, VersionState.PREVIOUS, at("-PT1H")));
            d.versions().insert(version("late", 2, VersionState.CURRENT, null));
            d.versions().insert(version("gone", 1, VersionState.REVOKED, at("PT2H")));

            d.certificateAuthorities().insert(new CaRecord("agents-ca", 1, "ca-1", "EC_P256", "hsm", retiredPem, "RETIRED",
                    NOW.minus(Duration.ofDays(400))));
            d.certificateAuthorities().insert(new CaRecord("agents-ca", 2, "ca-2", "EC_P256", "hsm", caPem, "ACTIVE",
                    NOW.minus(Duration.ofDays(100))));
            d.certificateAuthorities().insert(new CaRecord("other-ca", 1, "ca-3", "EC_P256", "hsm", farPem, "ACTIVE",
                    NOW.minus(Duration.ofDays(100))));
            d.issuedCertificates().insert(certificate("0aa1", "agents-ca", 2, "due-soon", 2, "bot", at("PT2H"), false));
            d.issuedCertificates().insert(certificate("0bb2", "agents-ca", 2, "due-soon", 1, "bot", at("PT2H"), true));
            d.issuedCertificates().insert(certificate("0cc3", "agents-ca", 2, "late", 2, "bot", at("PT48H"), false));
            d.issuedCertificates().insert(certificate("0dd4", "agents-ca", 1, "late", 1, "bot", at("PT3H"), false));
        });
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void theWindowShowsWhatRotatesIsRevokedAndExpiresInTimeOrder(Engine engine) throws Exception {
        RotationPlanner planner = planner(engine);
        fixture(db.store());

        PlanView plan = planner.plan("PT24H", 100);

        assertThat(plan.from()).isEqualTo(NOW);
        assertThat(plan.to()).isEqualTo(at("PT24H"));
        assertThat(plan.within()).isEqualTo("PT24H");
        assertThat(plan.paused()).isFalse();
        assertThat(plan.truncated()).isFalse();

        assertThat(plan.rotations().count()).isEqualTo(2);
        assertThat(plan.rotations().items()).containsExactly(
                new PlanDao.PlannedRotation("due-soon", "bot", "bot-owner@example.org", "api-key", at("PT1H")),
                new PlanDao.PlannedRotation("due-later", "temp", "temp-owner@example.org", "api-key", at("PT23H")));
        assertThat(plan.overdue().count()).isEqualTo(1);
        assertThat(plan.overdue().items()).extracting(PlanDao.PlannedRotation::credential).containsExactly("late");

        assertThat(plan.revocations().count()).isEqualTo(1);
        assertThat(plan.revocations().items()).containsExactly(
                new PlanDao.PlannedRevocation("due-soon", "bot", "bot-owner@example.org", 1, at("PT1H30M"), false));
        assertThat(plan.overdueRevocations().items()).extracting(PlanDao.PlannedRevocation::credential, PlanDao.PlannedRevocation::version)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("late", 1));

        // The revoked certificate, the one beyond the window, the RETIRED generation's and the far CA are left out.
        assertThat(plan.expiries().count()).isEqualTo(3);
        assertThat(plan.expiries().items()).containsExactly(
                new PlanView.Expiry("certificate", "due-soon", "bot", "bot-owner@example.org", 2, "0aa1", "agents-ca", 2,
                        at("PT2H")),
                new PlanView.Expiry("agent", null, "temp", "temp-owner@example.org", null, null, null, null, at("PT3H")),
                new PlanView.Expiry("ca", null, null, null, null, null, "agents-ca", 2, notAfterOf(at("PT10H"))));

        assertThat(plan.byHour()).containsExactly(
                new PlanView.Hour(Instant.parse("2026-12-02T19:00:00Z"), 1, 1, 0),
                new PlanView.Hour(Instant.parse("2026-12-02T20:00:00Z"), 0, 0, 1),
                new PlanView.Hour(Instant.parse("2026-12-02T21:00:00Z"), 0, 0, 1),
                new PlanView.Hour(Instant.parse("2026-12-03T04:00:00Z"), 0, 0, 1),
                new PlanView.Hour(Instant.parse("2026-12-03T17:00:00Z"), 1, 0, 0));
    }

    /** X.509 keeps seconds only. */
    private static Instant notAfterOf(Instant t) {
        return t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void itemsAreCappedByTheLimitButCountsStayExact(Engine engine) throws Exception {
        RotationPlanner planner = planner(engine);
        fixture(db.store());
        paused.set(true);

        PlanView plan = planner.plan(" P366D ", 1);

        assertThat(plan.paused()).isTrue();
        assertThat(plan.within()).isEqualTo("P366D");
        assertThat(plan.truncated()).isTrue();
        assertThat(plan.rotations().count()).isEqualTo(3);
        assertThat(plan.rotations().items()).extracting(PlanDao.PlannedRotation::credential).containsExactly("due-soon");
        // 0aa1 and 0cc3 (0dd4's generation is RETIRED), temp and temp-later, both ACTIVE CA generations.
        assertThat(plan.expiries().count()).isEqualTo(6);
        assertThat(plan.expiries().items()).hasSize(1);
        assertThat(plan.expiries().items().get(0).serial()).isEqualTo("0aa1");
        long counted = plan.byHour().stream().mapToLong(h -> h.rotations() + h.revocations() + h.expiries()).sum();
        assertThat(counted).isEqualTo(3 + 1 + 6);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aStormOfRotationsIsCountedPerHourWithoutListingThem(Engine engine) throws Exception {
        RotationPlanner planner = planner(engine);
        db.store().txRun(d -> d.agents().insert(agent("fleet", AgentKind.PERSISTENT, AgentStatus.ACTIVE, null)));
        int n = 4_000;
        db.jdbi().useTransaction(h -> {
            var batch = h.prepareBatch("INSERT INTO credentials (id, agent_id, type, backend, rotation_every, grace_period, "
                    + "bindings, status, next_rotation_at, created_at) VALUES (:id, 'fleet', 'api-key', 'hsm', 'P30D', "
                    + "'PT1H', '[]', 'ACTIVE', :next, :created)");
            for (int i = 0; i < n; i++) {
                // Two hours of storm: 3,000 in the hour from 19:00, 1,000 in the next.
                batch.bind("id", "fleet-" + i).bind("next", Instant.parse("2026-12-02T19:00:00Z").plusSeconds(i < 3_000 ? i % 3600 : 3600 + i % 3600))
                        .bind("created", NOW).add();
            }
            batch.execute();
        });

        PlanView plan = planner.plan("PT24H", 10);

        assertThat(plan.rotations().count()).isEqualTo(n);
        assertThat(plan.rotations().items()).hasSize(10);
        assertThat(plan.rotations().items().get(0).at()).isEqualTo(Instant.parse("2026-12-02T19:00:00Z"));
        assertThat(plan.byHour()).containsExactly(
                new PlanView.Hour(Instant.parse("2026-12-02T19:00:00Z"), 3_000, 0, 0),
                new PlanView.Hour(Instant.parse("2026-12-02T20:00:00Z"), 1_000, 0, 0));
    }

    /** H2 works in the JVM's zone; hours must still be UTC hours in a zone half an hour off UTC. */
    @Test
    void hoursAreUtcHoursWhateverTheJvmZone() throws Exception {
        TimeZone saved = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("Asia/Kolkata"));
        try {
            RotationPlanner planner = planner(Engine.H2);
            fixture(db.store());
            assertThat(planner.plan("PT24H", 100).byHour().get(0).hour())
                    .isEqualTo(Instant.parse("2026-12-02T19:00:00Z"));
        } finally {
            TimeZone.setDefault(saved);
        }
    }

    @Test
    void theWindowMovesWithTheClock() throws Exception {
        RotationPlanner planner = planner(Engine.H2);
        fixture(db.store());
        clock.advance(Duration.ofHours(2));
        PlanView plan = planner.plan("PT24H", 100);
        assertThat(plan.from()).isEqualTo(at("PT2H"));
        assertThat(plan.overdue().items()).extracting(PlanDao.PlannedRotation::credential).containsExactly("late", "due-soon");
        assertThat(plan.rotations().items()).extracting(PlanDao.PlannedRotation::credential).containsExactly("due-later", "beyond");
    }

    @Test
    void theJsonKeepsItsFieldNames() throws Exception {
        RotationPlanner planner = planner(Engine.H2);
        fixture(db.store());
        ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        JsonNode json = mapper.valueToTree(planner.plan("PT24H", 100));
        assertThat(json.get("from").asText()).isEqualTo("2026-12-02T18:10:00Z");
        assertThat(json.get("rotations").get("items").get(0).get("at").asText()).isEqualTo("2026-12-02T19:10:00Z");
        assertThat(json.get("expiries").get("items").get(1).has("credential")).isFalse();
        assertThat(json.get("byHour").get(0).get("hour").asText()).isEqualTo("2026-12-02T19:00:00Z");
        assertThat(json.get("rotations").fieldNames()).toIterable().containsExactly("count", "items");
        assertThat(json.get("revocations").get("items").get(0).fieldNames()).toIterable().containsExactly(
                "credential", "agent", "owner", "version", "at", "waitsForConsumers");
        assertThat(json.fieldNames()).toIterable().containsExactly("from", "to", "within", "paused", "overdue",
                "overdueRevocations", "rotations", "revocations", "expiries", "byHour", "truncated");
    }

    @Test
    void badWindowsAndLimitsAreRefusedNamingTheParameter() throws Exception {
        assertThat(RotationPlanner.window(null)).isEqualTo(Duration.ofHours(24));
        assertThat(RotationPlanner.window("P7D")).isEqualTo(Duration.ofDays(7));
        assertThat(RotationPlanner.window("P366D")).isEqualTo(Duration.ofDays(366));
        for (String bad : List.of("PT0S", "-PT1H", "P367D", "P1Y", "tomorrow", "24h")) {
            assertThatThrownBy(() -> RotationPlanner.window(bad)).as(bad).isInstanceOfSatisfying(RejectedException.class,
                    e -> {
                        assertThat(e.field()).isEqualTo("within");
                        assertThat(e.kind()).isEqualTo(RejectedException.Kind.INVALID);
                    });
        }
        RotationPlanner planner = planner(Engine.H2);
        for (int bad : new int[]{0, -1, 1001}) {
            assertThatThrownBy(() -> planner.plan("PT1H", bad)).isInstanceOfSatisfying(RejectedException.class,
                    e -> assertThat(e.field()).isEqualTo("limit"));
        }
    }
}
