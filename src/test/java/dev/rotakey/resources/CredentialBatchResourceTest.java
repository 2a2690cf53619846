package dev.rotakey.resources;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.auth.AccessPolicy;
import dev.rotakey.auth.Operator;
import dev.rotakey.auth.OperatorTokens;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.RotationFactory;
import dev.rotakey.core.Agent;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.RetryPolicy;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.db.Store;
import dev.rotakey.service.CredentialBatch;
import dev.rotakey.service.CredentialService;
import dev.rotakey.service.FirstVersions;
import dev.rotakey.service.ParallelSteps;
import dev.rotakey.service.ScheduleCalculator;
import dev.rotakey.targets.Targets;
import dev.rotakey.targets.files.LocalFilesTarget;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.rotakey.resources.ResourceTests.CLOCK;
import static dev.rotakey.resources.ResourceTests.NOW;
import static dev.rotakey.resources.ResourceTests.OPERATOR;
import static dev.rotakey.resources.ResourceTests.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /api/v1/credentials:batch} over HTTP: every refusal names the item and the field and leaves nothing
 * behind, the size is bounded, and an accepted batch answers each credential's version 1 without any secret. The
 * credentials' material goes through a real local-files target; the real HSM and the crash cases are in
 * {@code CredentialBatchIT}.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class CredentialBatchResourceTest {
    private static final Store STORE = ResourceTests.database().store();
    private static final TestKeyBackend BACKEND = new TestKeyBackend("hsm");
    private static final KeyBackends BACKENDS = new KeyBackends(Map.of("hsm", BACKEND));
    private static final Path FILES = directory();
    private static final Targets TARGETS = new Targets(Map.of("files", new LocalFilesTarget("files", FILES)));
    private static final AuditLog AUDIT = new AuditLog(STORE, CLOCK, NodeIdentity.single("test-node"));
    private static final CertificateAuthorities AUTHORITIES = new CertificateAuthorities(Map.of(), BACKENDS, STORE,
            AUDIT, CLOCK);
    private static final CredentialService CREDENTIALS = new CredentialService(STORE, BACKENDS, TARGETS, null, AUDIT,
            new RotationFactory(), CLOCK, AUTHORITIES);
    private static final RecordingScheduler SCHEDULER = new RecordingScheduler();
    private static final ParallelSteps THREADS = new ParallelSteps(2);
    private static final RotationWorkflow WORKFLOW = new RotationWorkflow(
            new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(5), 2.0, 0.0));
    private static final CredentialBatch BATCH = new CredentialBatch(STORE, CREDENTIALS, TARGETS, BACKENDS, AUDIT,
            new FirstVersions(STORE, BACKENDS, TARGETS, AUTHORITIES, WORKFLOW, AUDIT, SCHEDULER, new CredentialLocks(64),
                    CLOCK, new ScheduleCalculator(0, Duration.ZERO, Duration.ofHours(1)), RotationListener.NONE, THREADS,
                    null, null));

    private static final ResourceExtension RESOURCES = ResourceTests.extension(() -> new CredentialBatchResource(BATCH));

    private static Path directory() {
        try {
            return Files.createTempDirectory("rotakey-batch-files");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void start() {
        THREADS.start();
        STORE.txRun(d -> {
            d.agents().insert(new Agent("batch-agent", "team@example.com", Agent.AgentKind.PERSISTENT, null, Map.of(),
                    Agent.AgentStatus.ACTIVE, null, NOW, null));
            d.agents().insert(new Agent("batch-gone", "team@example.com", Agent.AgentKind.PERSISTENT, null, Map.of(),
                    Agent.AgentStatus.DECOMMISSIONED, null, NOW, NOW));
        });
    }

    @AfterAll
    static void stop() throws InterruptedException {
        THREADS.stop();
    }

    private static String item(String id, String path) {
        return "{\"id\":\"" + id + "\",\"agent\":\"batch-agent\",\"targets\":[{\"target\":\"files\",\"path\":\"" + path
                + "\"}]}";
    }

    private static String batch(List<String> items) {
        return "{\"credentials\":[" + String.join(",", items) + "]}";
    }

    private static Response post(String body) {
        return RESOURCES.target("/api/v1/credentials:batch").request().header(OPERATOR, "ops").post(json(body));
    }

    private static long credentials(String prefix) {
        return STORE.read(d -> d.credentials().list("batch-agent", null, 10_000)).stream()
                .filter(c -> c.id().startsWith(prefix)).count();
    }

    @Test
    void anInvalidItemIsRefusedByIndexAndFieldAndNothingIsCreated() {
        Response r = post(batch(List.of(item("bad-1", "bad/1"), item("bad-2", "bad/2"),
                "{\"id\":\"bad-3\",\"agent\":\"batch-agent\",\"targets\":[{\"target\":\"files\",\"path\":\"../x\"}]}")));
        assertThat(r.getStatus()).isEqualTo(422);
        Map<?, ?> body = r.readEntity(Map.class);
        assertThat(body.get("field")).isEqualTo("credentials[2].targets[0].path");
        assertThat((String) body.get("message")).startsWith("credentials[2].targets[0].path");

        r = post(batch(List.of(item("bad-1", "bad/1"), "{\"id\":\"bad-2\",\"agent\":\"batch-agent\",\"type\":\"ssh-key\","
                + "\"targets\":[{\"target\":\"files\",\"path\":\"bad/2\"}]}")));
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "credentials[1].type");

        r = post(batch(List.of(item("bad-1", "bad/1"), item("bad-1", "bad/2"))));
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "credentials[1].id")
                .containsEntry("message", "credentials[1].id: 'bad-1' is credentials[0].id too");

        r = post(batch(List.of(item("bad-1", "bad/1"), item("bad-2", "bad/1"))));
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "credentials[1].targets[0]")
                .containsEntry("message", "credentials[1].targets[0]: uses the same path 'bad/1' of target 'files' as "
                        + "credentials[0].targets[0]");

        r = post(batch(List.of(item("bad-1", "bad/1"), "null")));
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "credentials[1]");

        r = post(batch(List.of(item("bad-1", "bad/1"), "{\"id\":\"bad-2\",\"agent\":\"nobody\"," +
                "\"targets\":[{\"target\":\"files\",\"path\":\"bad/2\"}]}")));
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "credentials[1].agent");

        r = post(batch(List.of(item("bad-1", "bad/1"), "{\"id\":\"bad-2\",\"agent\":\"batch-gone\"," +
                "\"targets\":[{\"target\":\"files\",\"path\":\"bad/2\"}]}")));
        assertThat(r.getStatus()).isEqualTo(409);
        assertThat((String) r.readEntity(Map.class).get("message"))
                .isEqualTo("credentials[1]: agent 'batch-gone' is decommissioned");

        assertThat(credentials("bad-")).isZero();
        assertThat(FILES.resolve("bad")).doesNotExist();
    }

    @Test
    void badJsonNamesTheItemsFieldAndSizeIsBounded() {
        Response r = post("{\"credentials\":[" + item("json-1", "json/1") + ",{\"id\":\"json-2\",\"gracePeriodd\":1}]}");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "credentials[1].gracePeriodd");

        r = post("{}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "credentials");
        r = post(batch(List.of()));
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "credentials");

        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i <= CredentialBatch.MAX_ITEMS; i++) {
            tooMany.add(item("many-" + i, "many/" + i));
        }
        r = post(batch(tooMany));
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "credentials")
                .containsEntry("message", "credentials: at most 1000 credentials per batch (this one has 1001); send the "
                        + "rest in another");
        assertThat(credentials("many-")).isZero();
    }

    @Test
    void aBatchIsCreatedWithEveryVersionCurrentAndNoSecretInTheAnswer() throws IOException {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            items.add(item("ok-" + i, "ok/" + i));
        }
        Response r = post(batch(items));
        assertThat(r.getStatus()).isEqualTo(201);
        String answer = r.readEntity(String.class);
        Map<?, ?> body = new com.fasterxml.jackson.databind.ObjectMapper().readValue(answer, Map.class);
        List<?> created = (List<?>) body.get("credentials");
        assertThat(created).hasSize(5);
        for (int i = 0; i < 5; i++) {
            Map<?, ?> c = (Map<?, ?>) created.get(i);
            assertThat(c.get("id")).isEqualTo("ok-" + i);
            assertThat(c.get("version")).isEqualTo(1);
            assertThat(c.get("state")).isEqualTo("CURRENT");
            assertThat(c.get("rotationState")).isEqualTo("SUCCEEDED");
            String key = Files.readString(FILES.resolve("ok/" + i), StandardCharsets.UTF_8);
            assertThat(answer).doesNotContain(key);
            String id = "ok-" + i;
            String digest = STORE.read(d -> d.versions().find(id, 1)).orElseThrow().digest();
            assertThat(MaterialDigests.digest(BACKEND, key.getBytes(StandardCharsets.UTF_8))).isEqualTo(digest);
        }
        assertThat(SCHEDULER.scheduled).filteredOn(s -> s.startsWith("rotate ok-")).hasSize(5);

        // Sent again: every id exists, and the first one is named.
        r = post(batch(items));
        assertThat(r.getStatus()).isEqualTo(409);
        assertThat((String) r.readEntity(Map.class).get("message"))
                .isEqualTo("credentials[0]: credential 'ok-0' already exists");
        // A new id on a path another credential holds.
        r = post(batch(List.of(item("ok-new", "ok/new"), item("ok-other", "ok/3"))));
        assertThat(r.getStatus()).isEqualTo(409);
        assertThat((String) r.readEntity(Map.class).get("message")).startsWith("credentials[1].targets[0]: the path "
                + "'ok/3' of target 'files' is already bound to credential 'ok-3'");
        assertThat(credentials("ok-")).isEqualTo(5);
    }

    @Test
    void onlyAnAdminTokenMayCreateABatch() {
        String path = "/api/v1/credentials:batch";
        assertThat(new Operator("ops", OperatorTokens.ADMIN).mayCall(AccessPolicy.Port.API, "POST", path)).isTrue();
        assertThat(new Operator("checker", OperatorTokens.VERIFIER).mayCall(AccessPolicy.Port.API, "POST", path)).isFalse();
    }
}
