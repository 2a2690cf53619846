package dev.rotakey.resources;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.RotationFactory;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.PasswordPolicy;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.service.CredentialQueries;
import dev.rotakey.service.CredentialService;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;
import dev.rotakey.targets.files.LocalFilesTarget;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.rotakey.resources.ResourceTests.CLOCK;
import static dev.rotakey.resources.ResourceTests.NOW;
import static dev.rotakey.resources.ResourceTests.OPERATOR;
import static dev.rotakey.resources.ResourceTests.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The refusals of {@code PATCH /api/v1/credentials/{id}} and of an import on creation, over HTTP: 422 naming the
 * field, 404, 409, and nothing stored. Changes that reach targets and rotations are the end-to-end test's
 * ({@code CredentialLifecycleEndToEndIT}).
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class CredentialLifecycleResourceTest {
    private static final Store STORE = ResourceTests.database().store();
    private static final KeyBackends BACKENDS = new KeyBackends(Map.of("hsm", new TestKeyBackend("hsm")));
    private static final Path FILES = directory();
    private static final CredentialService CREDENTIALS = new CredentialService(STORE, BACKENDS,
            new Targets(Map.of("files", new LocalFilesTarget("files", FILES))), null,
            new AuditLog(STORE, CLOCK, NodeIdentity.single("test-node")), new RotationFactory(), CLOCK,
            new CertificateAuthorities(Map.of(), BACKENDS, STORE, new AuditLog(STORE, CLOCK, NodeIdentity.single("test-node")),
                    CLOCK));
    private static final CredentialQueries QUERIES = new CredentialQueries(STORE, CREDENTIALS);

    private static final ResourceExtension RESOURCES = ResourceTests.extension(
            () -> new CredentialResource(CREDENTIALS, QUERIES, new OwnerScope(STORE)));

    private static Path directory() {
        try {
            return Files.createTempDirectory("rotakey-lifecycle-files");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void record() {
        STORE.txRun(d -> {
            d.agents().insert(new Agent("life-agent", "team@example.com", Agent.AgentKind.PERSISTENT, null, Map.of(),
                    Agent.AgentStatus.ACTIVE, null, NOW, null));
            d.credentials().insert(credential("life-key", CredentialType.API_KEY, null, "life-key.key"));
            d.credentials().insert(credential("life-pw", CredentialType.PASSWORD, new PasswordPolicy(24,
                    PasswordPolicy.DEFAULT_ALPHABET), "life-pw.txt"));
            d.credentials().insert(credential("life-gone", CredentialType.API_KEY, null, "life-gone.key"));
            d.credentials().markRetired("life-gone", NOW, "token:ops");
            d.versions().insert(new CredentialVersion("life-key", 1, VersionState.CURRENT, "1ife0000", "test-hmac", null, NOW,
                    NOW, null, null, null, 0, null));
        });
    }

    private static Credential credential(String id, CredentialType type, PasswordPolicy password, String path) {
        return new Credential(id, "life-agent", type, "hsm", RotationPolicy.every(Duration.ofDays(7)),
                Duration.ofHours(1), List.of(new TargetBinding("files", Map.of("path", path))),
                Credential.CredentialStatus.ACTIVE, NOW.plus(Duration.ofDays(7)), NOW, null, null, password, null);
    }

    private static Response patch(String id, String body) {
        return RESOURCES.target("/api/v1/credentials/" + id).request().header(OPERATOR, "ops")
                .build("PATCH", json(body)).invoke();
    }

    private static Response post(String body) {
        return RESOURCES.target("/api/v1/credentials").request().header(OPERATOR, "ops").post(json(body));
    }

    private static void refused(Response r, int status, String field, String says) {
        assertThat(r.getStatus()).isEqualTo(status);
        Map<?, ?> body = r.readEntity(Map.class);
        assertThat(body.get("field")).isEqualTo(field);
        assertThat((String) body.get("message")).contains(says).doesNotContain("Exception").doesNotContain("dev.rotakey");
    }

    @Test
    void aChangeRefusesUnknownAndFixedFieldsNamingThem() {
        refused(patch("life-key", "{\"gracePeriodd\":\"PT1H\"}"), 422, "gracePeriodd", "is not a field");
        refused(patch("life-key", "{\"description\":\"x\"}"), 422, "description", "is not a field");
        for (String fixed : List.of("type", "agent", "backend", "ca", "id", "keySpec", "keyCustody", "renewAt", "import")) {
            refused(patch("life-key", "{\"" + fixed + "\":\"x\"}"), 422, fixed, "cannot be changed");
        }
        Response r = patch("life-key", "{}");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(patch("life-key", "[1]").getStatus()).isEqualTo(400);
    }

    @Test
    void aChangeValidatesAsACreationDoes() {
        refused(patch("life-key", "{\"rotation\":{\"every\":\"soon\"}}"), 422, "rotation.every", "ISO-8601");
        refused(patch("life-key", "{\"rotation\":{\"every\":\"P1D\",\"manual\":true}}"), 422, "rotation", "exactly one");
        refused(patch("life-key", "{\"rotation\":{\"manual\":false}}"), 422, "rotation.manual", "may only be true");
        refused(patch("life-key", "{\"rotation\":{\"when\":\"now\"}}"), 422, "rotation.when", "not a rotation field");
        refused(patch("life-key", "{\"rotation\":\"P1D\"}"), 422, "rotation", "must be an object");
        refused(patch("life-key", "{\"gracePeriod\":\"P30D\"}"), 422, "gracePeriod", "shorter than the rotation interval");
        refused(patch("life-key", "{\"gracePeriod\":null}"), 422, "gracePeriod", "must not be null");
        refused(patch("life-key", "{\"targets\":[{\"target\":\"nowhere\"}]}"), 422, "targets[0].target", "no target named");
        refused(patch("life-key", "{\"targets\":[{\"target\":\"files\",\"path\":\"life-key.key\"},{\"target\":\"files\","
                + "\"path\":\"../escape\"}]}"), 422, "targets[1].path", "");
        refused(patch("life-key", "{\"targets\":[{\"target\":\"files\",\"path\":7}]}"), 422, "targets[0].path",
                "must be a string");
        refused(patch("life-key", "{\"targets\":[]}"), 422, "targets", "at least one");
        refused(patch("life-key", "{\"length\":40}"), 422, "length", "applies only to");
        refused(patch("life-pw", "{\"length\":3}"), 422, "length", "must be between");
        refused(patch("life-key", "{\"revokeWhen\":\"acknowledged\"}"), 422, "consumers", "must list");
        refused(patch("life-key", "{\"scopes\":[\"Not A Scope!\"]}"), 422, "scopes", "");
    }

    @Test
    void aChangeToAnotherCredentialsResourceIs409() {
        // The password credential holds no claim in this database (claims are recorded at creation): claim it first.
        STORE.txRun(d -> d.bindingClaims().insert("files", "path:life-pw.txt", "life-pw"));
        Response r = patch("life-key", "{\"targets\":[{\"target\":\"files\",\"path\":\"life-key.key\"},"
                + "{\"target\":\"files\",\"path\":\"life-pw.txt\"}]}");
        assertThat(r.getStatus()).isEqualTo(409);
        assertThat(r.readEntity(Map.class).get("message").toString()).contains("targets[1]").contains("life-pw");
        assertThat(CREDENTIALS.get("life-key").bindings()).hasSize(1);
    }

    @Test
    void unknownIs404AndRetiredIs409() {
        assertThat(patch("no-such", "{\"gracePeriod\":\"PT2H\"}").getStatus()).isEqualTo(404);
        Response r = patch("life-gone", "{\"gracePeriod\":\"PT2H\"}");
        assertThat(r.getStatus()).isEqualTo(409);
        assertThat(r.readEntity(Map.class).get("message").toString()).contains("retired");
    }

    @Test
    void aChangeThatChangesNothingSaysSo() {
        Response r = patch("life-key", "{\"gracePeriod\":\"PT1H\"}");
        assertThat(r.getStatus()).isEqualTo(200);
        Map<?, ?> body = r.readEntity(Map.class);
        assertThat(body.get("id")).isEqualTo("life-key");
        assertThat(body.get("changes")).isEqualTo(List.of());
        assertThat(body.get("newMaterial")).isEqualTo(Map.of("needed", false));
    }

    @Test
    void aRetiredCredentialShowsItsRetirement() {
        Map<?, ?> body = RESOURCES.target("/api/v1/credentials/life-gone").request().header(OPERATOR, "ops").get(Map.class);
        assertThat(body.get("status")).isEqualTo("retired");
        assertThat(body.get("retiredBy")).isEqualTo("token:ops");
        assertThat(body.get("retiredAt")).isEqualTo("2026-12-01T00:00:00Z");
    }

    @Test
    void anImportIsRefusedWithNothingStoredWhenATargetDoesNotHoldTheSecret() throws IOException {
        String secret = "imported-secret-that-is-nowhere-1234";
        Files.writeString(FILES.resolve("imp-wrong.key"), "some-other-secret-entirely-5678");
        Response r = post("{\"id\":\"imp-wrong\",\"agent\":\"life-agent\",\"targets\":[{\"target\":\"files\","
                + "\"path\":\"imp-wrong.key\"}],\"import\":{\"secret\":\"" + secret + "\"}}");
        assertThat(r.getStatus()).isEqualTo(422);
        String text = r.readEntity(String.class);
        assertThat(text).contains("\"field\":\"import.secret\"").contains("targets[0]").doesNotContain(secret);
        assertThat(STORE.read(d -> d.credentials().find("imp-wrong")).isEmpty()).isTrue();
        assertThat(STORE.read(d -> d.bindingClaims().holder("files", "path:imp-wrong.key")).isEmpty()).isTrue();

        r = post("{\"id\":\"imp-missing\",\"agent\":\"life-agent\",\"targets\":[{\"target\":\"files\","
                + "\"path\":\"imp-missing.key\"}],\"import\":{\"secret\":\"" + secret + "\"}}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).contains("import.secret").doesNotContain(secret);
        assertThat(STORE.read(d -> d.credentials().find("imp-missing")).isEmpty()).isTrue();
    }

    @Test
    void anImportNeedsASecretAndAnApiKeyOrPasswordType() {
        refused(post("{\"id\":\"imp-x\",\"agent\":\"life-agent\",\"targets\":[{\"target\":\"files\",\"path\":\"x.key\"}],"
                + "\"import\":{}}"), 422, "import.secret", "is required");
        refused(post("{\"id\":\"imp-x\",\"agent\":\"life-agent\",\"type\":\"certificate\",\"targets\":[{\"target\":"
                + "\"files\",\"path\":\"x.pem\"}],\"import\":{\"secret\":\"abc\"}}"), 422, "import", "api-key");
    }
}
