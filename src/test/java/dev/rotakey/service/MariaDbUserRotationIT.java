package dev.rotakey.service;

import dev.rotakey.RotakeyComponents;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.api.CredentialView;
import dev.rotakey.api.VersionView;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.config.SecretSource;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.VersionState;
import dev.rotakey.targets.Login;
import dev.rotakey.targets.Targets;
import dev.rotakey.targets.files.LocalFilesTargetFactory;
import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.mariadb.MariaDbProbe;
import dev.rotakey.targets.webhook.WebhookTargetFactory;
import dev.rotakey.testing.RecordingHttpServer;
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
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A password credential on an alternating {@code mariadb-user} binding beside a webhook binding, through failed
 * rotations (the webhook refuses with 403) and successful ones, against the machine's real MariaDB: the workflow
 * records each version's reference and hands the CURRENT one's back, and the target places and removes versions by
 * them. Every "this password works" is a fresh login and the stored native hash; the passwords are the ones the
 * webhook receiver was sent, and the user is the one the credential's view names.
 */
class MariaDbUserRotationIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CREDENTIAL = "reporting-pw";
    private static KeyBackend backend;

    @TempDir
    Path dir;

    private TestDatabase db;
    private RecordingHttpServer receiver;
    private final MariaDbProbe maria = new MariaDbProbe();
    private TestClock clock;
    private Path files;
    private Targets targets;
    private RotationService rotations;
    private RevocationService revocations;
    private CredentialService credentials;

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
        if (targets != null) {
            targets.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        if (db != null) {
            db.close();
        }
        maria.close();
    }

    private void start(TestDatabases.Engine engine) throws Exception {
        db = TestDatabases.open(engine, dir.resolve("db"));
        clock = new TestClock(Instant.parse("2026-11-28T10:00:00Z"));
        receiver = new RecordingHttpServer(204);
        Path key = Files.writeString(dir.resolve("hook.key"), "0123456789abcdef0123456789abcdef\n");
        WebhookTargetFactory hook = new WebhookTargetFactory();
        hook.setUrl(receiver.url("/hook"));
        hook.setAllowHttp(true);
        hook.setSecret(SecretSource.fromFile(key.toString()));
        files = Files.createDirectories(dir.resolve("delivered"));
        LocalFilesTargetFactory local = new LocalFilesTargetFactory();
        local.setDirectory(files.toString());
        RotakeyComponents c = TestComponents.build(clock, db.store(), backend, Map.of("maria-main",
                MariaDbProbe.factory().build("maria-main"), "hooks", hook.build("hooks"), "local-files",
                local.build("local-files")), new RecordingScheduler());
        targets = c.targets();
        revocations = c.revocations();
        rotations = c.rotations();
        credentials = c.credentials();
        c.agents().create(new NewAgent("agent-1", "team@example.com", null, null, null, null), "test");
    }

    /** The credential as GET /api/v1/credentials/{id} shows it. */
    private CredentialView view() {
        Credential c = credentials.get(CREDENTIAL);
        List<CredentialVersion> versions = db.store().read(d -> d.versions().ofCredential(CREDENTIAL));
        return CredentialView.of(c, versions, Map.of(), null, null, credentials.logins(c, versions));
    }

    private VersionView version(int n) {
        return view().versions().stream().filter(v -> v.version() == n).findFirst().orElseThrow();
    }

    /** The login user the view names for version {@code n} at the MariaDB binding, which says where it logs in. */
    private String loginOf(int n) {
        List<Login> logins = version(n).logins();
        assertThat(logins).extracting(Login::target).containsExactly("maria-main");
        assertThat(logins.get(0).endpoint()).isEqualTo(new Endpoint("mariadb", "127.0.0.1", 3306, "test", false));
        return logins.get(0).login();
    }

    /** The last {@code credential.delivered} body the receiver accepted (2xx) for version {@code n}. */
    private JsonNode delivered(int n) throws Exception {
        JsonNode found = null;
        for (RecordingHttpServer.Request r : receiver.requests()) {
            JsonNode body = JSON.readTree(r.body());
            if (body.path("event").asText().equals("credential.delivered") && body.path("version").asInt() == n) {
                found = body;
            }
        }
        assertThat(found).as("version " + n + " delivered to the webhook").isNotNull();
        return found;
    }

    private String password(int n) throws Exception {
        return delivered(n).path("material").path("key").asText();
    }

    private Rotation rotate() {
        return rotations.startAndRun(CREDENTIAL, RotationTrigger.OPERATOR, "test");
    }

    /**
     * The CURRENT version's password works on the account the view names for it, and the local-files consumer holds
     * that password and that user name.
     */
    private void assertCurrentWorks(int current, String password) throws Exception {
        assertThat(view().currentVersion()).isEqualTo(current);
        String user = loginOf(current);
        assertThat(MariaDbProbe.works(user, password)).as("CURRENT v" + current + " on " + user).isTrue();
        assertThat(MariaDbProbe.isLocked(user, "%")).isFalse();
        assertThat(Files.readString(files.resolve("reporting/pw"))).isEqualTo(password);
        assertThat(Files.readString(files.resolve("reporting/pw.user"))).isEqualTo(user + "\n");
        // What a consumer of the files does: log in with the user and password they name.
        assertThat(MariaDbProbe.logsIn(Files.readString(files.resolve("reporting/pw.user")).strip(),
                Files.readString(files.resolve("reporting/pw")))).isTrue();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Engine.class)
    void failedRotationsNeverMoveANewPasswordOntoTheCurrentAccount(TestDatabases.Engine engine) throws Exception {
        start(engine);
        String user = maria.newUser();
        credentials.create(new NewCredential(CREDENTIAL, "agent-1", "password", "hsm",
                new NewCredential.RotationSpec("P7D", null), "PT1H",
                List.of(Map.of("target", "maria-main", "user", user, "strategy", "alternating"),
                        Map.of("target", "local-files", "path", "reporting/pw", "loginPath", "reporting/pw.user"),
                        Map.of("target", "hooks"))), "test");
        String a = user + "_a";
        String b = user + "_b";
        String v1 = password(1);
        assertThat(loginOf(1)).isEqualTo(a);
        assertCurrentWorks(1, v1);
        // The webhook consumer learns the login user with the password.
        assertThat(delivered(1).path("logins").get(0).path("login").asText()).isEqualTo(a);
        assertThat(delivered(1).path("logins").get(0).path("target").asText()).isEqualTo("maria-main");

        // One failed rotation: v2 went to the idle user and was cleaned up there; v1 keeps working.
        receiver.answer(403);
        assertThat(rotate().state()).isEqualTo(RotationState.FAILED);
        assertThat(version(2).state()).isEqualTo(VersionState.FAILED.name());
        assertThat(loginOf(2)).isEqualTo(b);
        assertCurrentWorks(1, v1);
        assertThat(MariaDbProbe.storedPasswordIs(b, "%", password(2))).as("the failed v2 is cleaned up").isFalse();
        assertThat(MariaDbProbe.isLocked(b, "%")).isTrue();

        // A second failure in a row: parity would put v3 on the user v1 lives on.
        receiver.answer(403);
        assertThat(rotate().state()).isEqualTo(RotationState.FAILED);
        assertThat(loginOf(3)).isEqualTo(b);
        assertCurrentWorks(1, v1);

        // Now it succeeds: v4 goes next to v1 (on _b, though even), and both work during the grace period.
        assertThat(rotate().state()).isEqualTo(RotationState.SUCCEEDED);
        String v4 = password(4);
        assertThat(loginOf(4)).isEqualTo(b);
        assertCurrentWorks(4, v4);
        assertThat(delivered(4).path("logins").get(0).path("login").asText()).isEqualTo(b);
        assertThat(version(1).state()).isEqualTo(VersionState.PREVIOUS.name());
        assertThat(MariaDbProbe.works(loginOf(1), v1)).as("PREVIOUS v1 during its grace period").isTrue();

        // Another failure during the grace period leaves both alone (v5 would go to _a, where v1 is PREVIOUS).
        receiver.answer(403);
        assertThat(rotate().state()).isEqualTo(RotationState.FAILED);
        assertThat(loginOf(5)).isEqualTo(a);
        assertCurrentWorks(4, v4);

        // After the grace period v1 is revoked from its own user only.
        clock.advance(Duration.ofHours(2));
        revocations.revokeDue(CREDENTIAL, 1);
        assertThat(version(1).state()).isEqualTo(VersionState.REVOKED.name());
        assertThat(MariaDbProbe.storedPasswordIs(a, "%", v1)).isFalse();
        assertThat(MariaDbProbe.isLocked(a, "%")).isTrue();
        assertCurrentWorks(4, v4);

        // Next success: v6 goes to _a (parity would say _b, where v4 is CURRENT).
        assertThat(rotate().state()).isEqualTo(RotationState.SUCCEEDED);
        String v6 = password(6);
        assertThat(loginOf(6)).isEqualTo(a);
        assertCurrentWorks(6, v6);
        assertThat(MariaDbProbe.works(b, v4)).as("PREVIOUS v4 during its grace period").isTrue();

        // Emergency: v4 (PREVIOUS) goes at once, a new v7 lands on _b, and v6 is revoked when v7 is promoted.
        Rotation emergency = rotations.continueRotation(rotations.emergencyRevoke(CREDENTIAL, "test").id());
        assertThat(emergency.state()).isEqualTo(RotationState.SUCCEEDED);
        String v7 = password(7);
        assertThat(loginOf(7)).isEqualTo(b);
        assertCurrentWorks(7, v7);
        assertThat(version(6).state()).isEqualTo(VersionState.REVOKED.name());
        assertThat(MariaDbProbe.storedPasswordIs(a, "%", v6)).isFalse();
        assertThat(MariaDbProbe.isLocked(a, "%")).isTrue();
        // Revoking v4 (whose user _b now holds v7) changed nothing there.
        assertThat(version(4).state()).isEqualTo(VersionState.REVOKED.name());
        assertThat(MariaDbProbe.works(b, v7)).isTrue();
    }
}
