package dev.rotakey.auth;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.TokenDao;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tokens' life on a real (H2) database: expiry, rotation with a grace period, listing with last use, refusals. */
class OperatorTokensTest {
    @TempDir
    static Path dir;
    private static TestDatabase db;
    private static OperatorTokens tokens;
    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-12-06T00:00:00Z"));

    @BeforeAll
    static void open() throws Exception {
        db = TestDatabases.open(TestDatabases.Engine.H2, dir);
        AuditLog audit = new AuditLog(db.store(), CLOCK, NodeIdentity.single("test-node"));
        tokens = new OperatorTokens(db.store(), audit, CLOCK, NotifiedCache.local(CLOCK, 100, Duration.ofMinutes(1)));
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    private static TokenDao.TokenInfo listed(String name) {
        return tokens.list().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aTokenWithAnExpiryWorksUntilThenEvenFromTheCache() {
        Instant expires = CLOCK.instant().plus(Duration.ofHours(2));
        String token = tokens.issue("ci-job", "operator", expires, null, "token:admin");
        assertThat(tokens.authenticate(token)).contains(new Operator("ci-job", "operator", expires));

        CLOCK.advance(Duration.ofHours(2));

        assertThat(tokens.authenticate(token)).isEmpty();
        assertThat(listed("ci-job").expiresAt()).isEqualTo(expires);
    }

    @Test
    void aRotatedTokensOldSecretWorksForTheGracePeriodAndTheNewOneAfter() {
        String old = tokens.issue("prometheus", "monitor", "token:admin");
        assertThat(tokens.authenticate(old)).isPresent();

        String fresh = tokens.rotate("prometheus", Duration.ofMinutes(30), "token:admin").token();

        assertThat(fresh).isNotEqualTo(old).startsWith("rkt_");
        assertThat(tokens.authenticate(old)).map(Operator::role).contains("monitor");
        assertThat(tokens.authenticate(fresh)).map(Operator::role).contains("monitor");
        assertThat(listed("prometheus").previousValidUntil()).isEqualTo(CLOCK.instant().plus(Duration.ofMinutes(30)));
        CLOCK.advance(Duration.ofMinutes(30));
        assertThat(tokens.authenticate(old)).isEmpty();
        assertThat(tokens.authenticate(fresh)).isPresent();

        tokens.revoke("prometheus", "token:admin");
        assertThat(tokens.authenticate(fresh)).isEmpty();
    }

    @Test
    void theListingShowsLastUseAndWritesItWithoutEverShowingASecret() {
        String token = tokens.issue("reporting", "auditor", "token:admin");
        assertThat(listed("reporting").lastUsedAt()).isNull();
        CLOCK.advance(Duration.ofMinutes(5));
        Instant used = CLOCK.instant();

        tokens.authenticate(token);

        assertThat(listed("reporting").lastUsedAt()).as("noted, not written yet").isEqualTo(used);
        tokens.recordUses();
        assertThat(db.store().read(d -> d.tokens().list()).stream().filter(t -> t.name().equals("reporting"))
                .findFirst().orElseThrow().lastUsedAt()).as("written").isEqualTo(used);
        assertThat(tokens.list().toString()).doesNotContain(token).doesNotContain(OperatorTokens.digest(token));
    }

    @Test
    void anOwnerScopedTokenCarriesItsOwner() {
        String token = tokens.issue("team-a-bot", "owner", null, "team-a@example.com", "token:admin");
        assertThat(tokens.authenticate(token)).map(Operator::owner).contains("team-a@example.com");
        assertThat(listed("team-a-bot").owner()).isEqualTo("team-a@example.com");
    }

    @Test
    void badRolesExpiriesAndUnknownTokensAreRefused() {
        assertThatThrownBy(() -> tokens.issue("x1", "root", "token:admin")).isInstanceOf(RejectedException.class)
                .hasMessageContaining("admin, operator, auditor, monitor, verifier, owner");
        assertThatThrownBy(() -> tokens.issue("x4", "owner", "token:admin")).isInstanceOf(RejectedException.class)
                .hasMessageContaining("owner");
        assertThatThrownBy(() -> tokens.issue("x5", "monitor", null, "team@example.com", "token:admin"))
                .isInstanceOf(RejectedException.class).hasMessageContaining("only for role 'owner'");
        assertThatThrownBy(() -> tokens.issue("x2", "monitor", CLOCK.instant(), null, "token:admin"))
                .isInstanceOf(RejectedException.class).hasMessageContaining("future");
        assertThatThrownBy(() -> tokens.rotate("nobody", Duration.ofHours(1), "token:admin"))
                .isInstanceOf(RejectedException.class);
        assertThatThrownBy(() -> tokens.rotate("x3", Duration.ofHours(-1), "token:admin"))
                .isInstanceOf(RejectedException.class);
    }

    private static String neededRole(String name) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT needed_role FROM api_tokens WHERE name = :n")
                .bind("n", name).mapTo(String.class).one());
    }

    @Test
    void theBroadestRoleATokensCallsNeededIsWrittenWithItsLastUses() {
        String token = tokens.issue("dashboard", "admin", "token:admin");
        Operator op = tokens.authenticate(token).orElseThrow();
        tokens.noteCall(op, AccessPolicy.Port.API, "GET", "/api/v1/agents");
        tokens.noteCall(op, AccessPolicy.Port.ADMIN, "GET", "/metrics");
        assertThat(neededRole("dashboard")).as("nothing written per request").isNull();

        tokens.recordUses();
        // Reading the inventory needs an auditor; the metrics a monitor, which an auditor may read too.
        assertThat(neededRole("dashboard")).isEqualTo("auditor");

        tokens.noteCall(op, AccessPolicy.Port.ADMIN, "POST", "/tasks/revoke");
        tokens.recordUses();
        // An operator may revoke but not list tokens, which an auditor may: only an admin may do both.
        tokens.noteCall(op, AccessPolicy.Port.API, "GET", "/api/v1/tokens");
        tokens.recordUses();
        assertThat(neededRole("dashboard")).isEqualTo("admin");
    }

    @Test
    void anOwnerScopedTokenNeedsItsOwnRoleAndAReissuedTokenStartsAfresh() {
        String token = tokens.issue("team-a", "owner", null, "team-a@example.com", "token:admin");
        tokens.noteCall(tokens.authenticate(token).orElseThrow(), AccessPolicy.Port.API, "GET", "/api/v1/agents");
        tokens.recordUses();
        assertThat(neededRole("team-a")).isEqualTo("owner");

        tokens.revoke("team-a", "token:admin");
        tokens.issue("team-a", "auditor", "token:admin");
        assertThat(neededRole("team-a")).isNull();
    }
}
