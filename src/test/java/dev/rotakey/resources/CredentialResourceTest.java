package dev.rotakey.resources;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.RotationFactory;
import dev.rotakey.core.AcknowledgementPolicy;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.service.CredentialQueries;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.service.CredentialService;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.rotakey.resources.ResourceTests.CLOCK;
import static dev.rotakey.resources.ResourceTests.NOW;
import static dev.rotakey.resources.ResourceTests.OPERATOR;
import static dev.rotakey.resources.ResourceTests.each;
import static dev.rotakey.resources.ResourceTests.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /api/v1/credentials} and {@code /api/v1/rotations} over HTTP: credentials, their versions and rotations
 * as recorded in the database, pages, and the refusals of creation. A creation that passes every check runs a
 * rotation, which is the end-to-end tests' business: here every creation is refused before that.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class CredentialResourceTest {
    private static final Store STORE = ResourceTests.database().store();
    private static final KeyBackends BACKENDS = new KeyBackends(Map.of("hsm", new TestKeyBackend("hsm")));
    private static final CredentialService CREDENTIALS = new CredentialService(STORE, BACKENDS, targets(), null,
            new AuditLog(STORE, CLOCK, NodeIdentity.single("test-node")), new RotationFactory(), CLOCK,
            new CertificateAuthorities(Map.of(), BACKENDS, STORE, new AuditLog(STORE, CLOCK, NodeIdentity.single("test-node")),
                    CLOCK));
    private static final CredentialQueries QUERIES = new CredentialQueries(STORE, CREDENTIALS);

    private static final ResourceExtension RESOURCES = ResourceTests.extension(
            () -> new CredentialResource(CREDENTIALS, QUERIES, new OwnerScope(STORE)),
            () -> new RotationResource(QUERIES, new OwnerScope(STORE), new dev.rotakey.service.FleetQueries(STORE, CLOCK)));

    private static Targets targets() {
        try {
            return new Targets(Map.of("files", new LocalFilesTarget("files",
                    Files.createTempDirectory("rotakey-resource-files"))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void record() {
        STORE.txRun(d -> {
            d.agents().insert(new Agent("cred-agent", "team@example.com", Agent.AgentKind.PERSISTENT, null, Map.of(),
                    Agent.AgentStatus.ACTIVE, null, NOW, null));
            d.credentials().insert(credential("cred-a", "a.key", null));
            d.credentials().insert(credential("cred-b", "b.key", new AcknowledgementPolicy(List.of("svc-1"),
                    Duration.ofHours(3))));
            d.credentials().insert(credential("cred-c", "c.key", null));
            d.credentials().setAcknowledgementOverdue("cred-b", List.of("svc-1"));
            d.rotations().insert(new Rotation("rot-a2", "cred-a", 2, RotationTrigger.OPERATOR, "token:ops",
                    RotationState.SUCCEEDED, RotationStep.DONE, 0, null, null, false, "corr-1", NOW.plusSeconds(60),
                    NOW.plusSeconds(61), NOW.plusSeconds(61)));
            d.versions().insert(new CredentialVersion("cred-a", 1, VersionState.PREVIOUS, "00", "test-hmac", null, NOW,
                    NOW, NOW.plusSeconds(3660), null, null, 0, null));
            d.versions().insert(new CredentialVersion("cred-a", 2, VersionState.CURRENT, "01", "test-hmac", "rot-a2",
                    NOW.plusSeconds(60), NOW.plusSeconds(61), null, null, null, 0, null));
            d.rotations().recordStep("rot-a2", "CREATE", 1, "ok", null, NOW.plusSeconds(60), NOW.plusSeconds(60));
            d.rotations().recordStep("rot-a2", "DELIVER", 1, "failed", "target busy", NOW.plusSeconds(60),
                    NOW.plusSeconds(61));
            // Another agent's credential between cred-a and cred-b by id: inside the id range of cred-agent's pages.
            d.agents().insert(new Agent("other-agent", "other@example.com", Agent.AgentKind.PERSISTENT, null, Map.of(),
                    Agent.AgentStatus.ACTIVE, null, NOW, null));
            d.credentials().insert(new Credential("cred-aa", "other-agent", CredentialType.API_KEY, "hsm",
                    RotationPolicy.every(Duration.ofDays(7)), Duration.ofHours(1),
                    List.of(new TargetBinding("files", Map.of("path", "aa.key"))), Credential.CredentialStatus.ACTIVE,
                    NOW.plus(Duration.ofDays(7)), NOW, null, null, null,
                    new AcknowledgementPolicy(List.of("svc-9"), Duration.ofHours(3))));
            d.credentials().setAcknowledgementOverdue("cred-aa", List.of("svc-9"));
            d.versions().insert(new CredentialVersion("cred-aa", 1, VersionState.CURRENT, "aa", "test-hmac", null, NOW,
                    NOW, null, null, null, 0, null));
        });
    }

    private static Credential credential(String id, String path, AcknowledgementPolicy acks) {
        return new Credential(id, "cred-agent", CredentialType.API_KEY, "hsm", RotationPolicy.every(Duration.ofDays(7)),
                Duration.ofHours(1), List.of(new TargetBinding("files", Map.of("path", path))),
                Credential.CredentialStatus.ACTIVE, NOW.plus(Duration.ofDays(7)), NOW, null, null, null, acks);
    }

    /** GET {@code target}, a path with an optional query of plain {@code name=value} pairs. */
    private static Response get(String target) {
        String[] parts = target.split("\\?", 2);
        jakarta.ws.rs.client.WebTarget t = RESOURCES.target(parts[0]);
        if (parts.length > 1) {
            for (String pair : parts[1].split("&")) {
                String[] nv = pair.split("=", 2);
                t = t.queryParam(nv[0], nv[1]);
            }
        }
        return t.request().header(OPERATOR, "ops").get();
    }

    private static Response post(String body) {
        return RESOURCES.target("/api/v1/credentials").request().header(OPERATOR, "ops").post(json(body));
    }

    @Test
    void aCredentialShowsItsVersionsAndLatestRotation() {
        Response r = get("/api/v1/credentials/cred-a");
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"id\":\"cred-a\",\"agent\":\"cred-agent\",\"type\":\"api-key\","
                + "\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"files\",\"path\":\"a.key\"}],\"status\":\"active\","
                + "\"nextRotationAt\":\"2026-12-08T00:00:00Z\",\"createdAt\":\"2026-12-01T00:00:00Z\",\"currentVersion\":2,"
                + "\"versions\":[{\"version\":1,\"state\":\"PREVIOUS\",\"createdAt\":\"2026-12-01T00:00:00Z\","
                + "\"promotedAt\":\"2026-12-01T00:00:00Z\",\"revokeAfter\":\"2026-12-01T01:01:00Z\",\"revokedAt\":null,"
                + "\"revokeReason\":null,\"revokeError\":null},"
                + "{\"version\":2,\"state\":\"CURRENT\",\"createdAt\":\"2026-12-01T00:01:00Z\","
                + "\"promotedAt\":\"2026-12-01T00:01:01Z\",\"revokeAfter\":null,\"revokedAt\":null,"
                + "\"revokeReason\":null,\"revokeError\":null}],"
                + "\"lastRotation\":{\"id\":\"rot-a2\",\"credential\":\"cred-a\",\"version\":2,\"trigger\":\"operator\","
                + "\"actor\":\"token:ops\",\"state\":\"SUCCEEDED\",\"step\":\"done\",\"attempts\":0,\"nextAttemptAt\":null,"
                + "\"lastError\":null,\"emergency\":false,\"correlationId\":\"corr-1\","
                + "\"startedAt\":\"2026-12-01T00:01:00Z\",\"finishedAt\":\"2026-12-01T00:01:01Z\",\"steps\":null}}");
    }

    @Test
    void theListIsPagedAndShowsOverdueConsumers() {
        Map<?, ?> page = get("/api/v1/credentials?agent=cred-agent&limit=2").readEntity(Map.class);
        assertThat(page.keySet()).hasToString("[credentials, next]");
        assertThat(each(page, "credentials", "id")).containsExactly("cred-a", "cred-b");
        assertThat(each(page, "credentials", "acknowledgementOverdue")).containsExactly(null, List.of("svc-1"));
        assertThat(each(page, "credentials", "lastRotation")).containsExactly(null, null);
        assertThat(each(page, "credentials", "currentVersion")).containsExactly(2, null);
        assertThat(page.get("next")).isEqualTo("cred-b");
        page = get("/api/v1/credentials?agent=cred-agent&limit=2&after=cred-b").readEntity(Map.class);
        assertThat(each(page, "credentials", "id")).containsExactly("cred-c");
        assertThat(page.get("next")).isNull();
        assertThat(get("/api/v1/credentials?agent=nobody").readEntity(String.class))
                .isEqualTo("{\"credentials\":[],\"next\":null}");
    }

    @Test
    void aPageHoldsTheVersionsAndOverdueConsumersOfItsOwnCredentialsOnlyWithOrWithoutAnAgent() {
        Map<?, ?> mine = get("/api/v1/credentials?agent=cred-agent&limit=3").readEntity(Map.class);
        assertThat(each(mine, "credentials", "id")).containsExactly("cred-a", "cred-b", "cred-c");
        assertThat(each(mine, "credentials", "currentVersion")).containsExactly(2, null, null);
        assertThat(each(mine, "credentials", "acknowledgementOverdue")).containsExactly(null, List.of("svc-1"), null);

        Map<?, ?> all = get("/api/v1/credentials?limit=3").readEntity(Map.class);
        assertThat(each(all, "credentials", "id")).containsExactly("cred-a", "cred-aa", "cred-b");
        assertThat(each(all, "credentials", "currentVersion")).containsExactly(2, 1, null);
        assertThat(each(all, "credentials", "acknowledgementOverdue")).containsExactly(null, List.of("svc-9"),
                List.of("svc-1"));
    }

    @Test
    void aCredentialsRotationsAndOneRotationWithItsSteps() {
        Map<?, ?> rotations = get("/api/v1/credentials/cred-a/rotations").readEntity(Map.class);
        assertThat(each(rotations, "rotations", "id")).containsExactly("rot-a2");
        assertThat(each(rotations, "rotations", "steps")).containsExactly((Object) null);
        Response r = get("/api/v1/rotations/rot-a2");
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.readEntity(String.class)).endsWith("\"steps\":["
                + "{\"step\":\"create\",\"attempt\":1,\"outcome\":\"ok\",\"error\":null,"
                + "\"startedAt\":\"2026-12-01T00:01:00Z\",\"finishedAt\":\"2026-12-01T00:01:00Z\"},"
                + "{\"step\":\"deliver\",\"attempt\":1,\"outcome\":\"failed\",\"error\":\"target busy\","
                + "\"startedAt\":\"2026-12-01T00:01:00Z\",\"finishedAt\":\"2026-12-01T00:01:01Z\"}]}");
    }

    @Test
    void unknownCredentialsAndRotationsAre404AndABadLimit422() {
        Response r = get("/api/v1/credentials/nope");
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":404,\"message\":\"credential 'nope' does not exist\"}");
        // The credential is looked up first: unknown is 404 whatever the limit.
        assertThat(get("/api/v1/credentials/nope/rotations?limit=0").getStatus()).isEqualTo(404);
        r = get("/api/v1/credentials/cred-a/rotations?limit=0");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "limit");
        r = get("/api/v1/rotations/nope");
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":404,\"message\":\"rotation 'nope' does not exist\"}");
        assertThat(get("/api/v1/credentials?limit=1001").getStatus()).isEqualTo(422);
    }

    @Test
    void creationRefusesBadJsonUnknownFieldsAndWrongTypesWith400() {
        Response r = post("{\"id\":\"x\",");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class)).startsWith("{\"code\":400,\"message\":\"the request body is not valid JSON");
        r = post("{\"id\":\"x\",\"agent\":\"cred-agent\",\"gracePeriodd\":\"PT1H\"}");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class))
                .isEqualTo("{\"code\":400,\"message\":\"unknown field 'gracePeriodd'\",\"field\":\"gracePeriodd\"}");
        r = post("{\"id\":\"x\",\"agent\":\"cred-agent\",\"targets\":\"files\"}");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class))
                .isEqualTo("{\"code\":400,\"message\":\"targets: expected an array\",\"field\":\"targets\"}");
        r = post("{\"id\":\"x\",\"agent\":\"cred-agent\",\"rotation\":{\"every\":\"P1D\",\"when\":\"now\"}}");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "rotation.when");
    }

    @Test
    void creationRefusesInvalidFieldsWith422NamingThem() {
        Response r = post("{\"id\":\"x\",\"agent\":\"cred-agent\"}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":422,\"message\":\"targets: at least one target "
                + "binding is required (configured targets: [files])\",\"field\":\"targets\"}");
        r = post("{\"id\":\"x\",\"agent\":\"cred-agent\",\"targets\":[{\"target\":\"nowhere\"}]}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "targets[0].target");
        r = post("{\"id\":\"x\",\"agent\":\"cred-agent\",\"type\":\"ssh-key\",\"targets\":[{\"target\":\"files\","
                + "\"path\":\"x.key\"}]}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "type");
        r = post("{\"id\":\"x\",\"agent\":\"nobody\",\"targets\":[{\"target\":\"files\",\"path\":\"x.key\"}]}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":422,\"message\":\"agent: agent 'nobody' does not "
                + "exist\",\"field\":\"agent\"}");
    }

    @Test
    void creatingAnExistingCredentialIs409() {
        Response r = post("{\"id\":\"cred-a\",\"agent\":\"cred-agent\",\"targets\":[{\"target\":\"files\","
                + "\"path\":\"other.key\"}]}");
        assertThat(r.getStatus()).isEqualTo(409);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":409,\"message\":\"credential 'cred-a' already exists\"}");
    }

    @Test
    void anEmptyBodyIs400() {
        Response r = post("");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class)).startsWith("{\"code\":400,").doesNotContain("Exception");
    }
}
