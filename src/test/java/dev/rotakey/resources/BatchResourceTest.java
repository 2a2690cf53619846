package dev.rotakey.resources;

import dev.rotakey.batch.Batch;
import dev.rotakey.batch.BatchItem;
import dev.rotakey.batch.BatchQueries;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.db.Store;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.targets.TargetBinding;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.rotakey.resources.ResourceTests.NOW;
import static dev.rotakey.resources.ResourceTests.OPERATOR;
import static dev.rotakey.resources.ResourceTests.each;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/batches/{id}} and {@code GET /api/v1/batches} over HTTP: a batch recorded in the database with
 * its counts, its skipped items by reason, its rotations by state and its items a page at a time; and the refusals.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class BatchResourceTest {
    private static final Store STORE = ResourceTests.database().store();
    private static final String RUNNING_ID = "6f1c7a52-3f0e-4d7c-9a51-0c2d1e7b9a01";
    private static final String DONE_ID = "6f1c7a52-3f0e-4d7c-9a51-0c2d1e7b9a02";

    private static final ResourceExtension RESOURCES = ResourceTests.extension(
            () -> new BatchResource(new BatchQueries(STORE), new OwnerScope(STORE)));

    @BeforeAll
    static void record() {
        STORE.txRun(d -> {
            d.agents().insert(new Agent("ops-batch-agent", "team@example.com", Agent.AgentKind.PERSISTENT, null, Map.of(),
                    Agent.AgentStatus.ACTIVE, null, NOW, null));
            for (String c : List.of("batch-c1", "batch-c2")) {
                d.credentials().insert(new Credential(c, "ops-batch-agent", CredentialType.API_KEY, "hsm",
                        RotationPolicy.every(Duration.ofDays(7)), Duration.ofHours(1),
                        List.of(new TargetBinding("files", Map.of("path", c))), Credential.CredentialStatus.ACTIVE, null,
                        NOW, null, null, null, null));
            }
            d.rotations().insert(new Rotation("rot-b1", "batch-c1", 2, RotationTrigger.OPERATOR, "token:ops",
                    RotationState.RUNNING, RotationStep.DELIVER, 0, null, null, false, "corr-b", NOW, NOW, null));
            d.rotations().insert(new Rotation("rot-b2", "batch-c2", 2, RotationTrigger.OPERATOR, "token:ops",
                    RotationState.SUCCEEDED, RotationStep.DONE, 0, null, null, false, "corr-b", NOW, NOW, NOW));
            d.batches().insert(new Batch(DONE_ID, 0, Batch.Kind.DECOMMISSION, "agent:old", "token:ops", Batch.State.DONE,
                    "node-1", "claim-0", null, null, null, NOW, NOW, NOW));
            d.batches().insert(new Batch(RUNNING_ID, 0, Batch.Kind.ROTATE, "agent:ops-batch-agent", "token:ops",
                    Batch.State.RUNNING, "node-1", "claim-1", "corr-b", null, null, NOW, NOW, null));
            d.batches().plan(RUNNING_ID, List.of("batch-c1", "batch-c2", "batch-c3", "batch-c4"), NOW);
            d.batches().record(RUNNING_ID, 0, BatchItem.Outcome.STARTED, null, "rot-b1", null, NOW);
            d.batches().record(RUNNING_ID, 1, BatchItem.Outcome.SKIPPED, "already-rotating", "rot-b2",
                    "credential 'batch-c2' is already rotating", NOW);
            d.batches().record(RUNNING_ID, 2, BatchItem.Outcome.SKIPPED, "not-found", null, "gone", NOW);
        });
    }

    /** {@code path} may end with a query ({@code ?a=1&b=2}), sent as query parameters. */
    private static Response get(String path, boolean authenticated) {
        String[] parts = path.split("\\?", 2);
        var target = RESOURCES.target(parts[0]);
        if (parts.length == 2) {
            for (String pair : parts[1].split("&")) {
                String[] kv = pair.split("=", 2);
                target = target.queryParam(kv[0], kv[1]);
            }
        }
        var request = target.request();
        return authenticated ? request.header(OPERATOR, "ops").get() : request.get();
    }

    @Test
    void aBatchShowsItsCountsItsRotationsAndAPageOfItems() {
        Response r = get("/api/v1/batches/" + RUNNING_ID, true);
        assertThat(r.getStatus()).isEqualTo(200);
        Map<?, ?> b = r.readEntity(Map.class);
        assertThat(b.get("kind")).isEqualTo("rotate");
        assertThat(b.get("subject")).isEqualTo("agent:ops-batch-agent");
        assertThat(b.get("state")).isEqualTo("RUNNING");
        assertThat(b.get("createdAt")).isEqualTo("2026-12-01T00:00:00Z");
        assertThat(b.get("counts")).isEqualTo(Map.of("total", 4, "pending", 1, "started", 1, "done", 0, "skipped", 2,
                "failed", 0));
        assertThat(b.get("skipped")).isEqualTo(Map.of("already-rotating", 1, "not-found", 1));
        assertThat(b.get("rotations")).isEqualTo(Map.of("RUNNING", 1, "SUCCEEDED", 1));
        assertThat(each(b, "items", "credential")).containsExactly("batch-c1", "batch-c2", "batch-c3", "batch-c4");
        assertThat(each(b, "items", "outcome")).containsExactly("STARTED", "SKIPPED", "SKIPPED", "PENDING");
        assertThat(each(b, "items", "rotation").get(0)).isEqualTo(Map.of("id", "rot-b1", "state", "RUNNING",
                "step", "deliver", "href", "/api/v1/rotations/rot-b1"));
        assertThat(b.get("next")).isNull();

        Map<?, ?> page = get("/api/v1/batches/" + RUNNING_ID + "?after=0&limit=2", true).readEntity(Map.class);
        assertThat(each(page, "items", "credential")).containsExactly("batch-c2", "batch-c3");
        assertThat(page.get("next")).isEqualTo("2");
    }

    @Test
    void theLatestBatchesAreListedNewestFirstWithACursor() {
        Map<?, ?> page = get("/api/v1/batches?limit=1", true).readEntity(Map.class);
        assertThat(each(page, "batches", "id")).containsExactly(RUNNING_ID);
        assertThat(((Map<?, ?>) ((List<?>) page.get("batches")).get(0)).containsKey("items")).isFalse();
        Map<?, ?> older = get("/api/v1/batches?limit=1&before=" + page.get("next"), true).readEntity(Map.class);
        assertThat(each(older, "batches", "id")).containsExactly(DONE_ID);
    }

    @Test
    void withoutAnOperatorTheAnswerIs401() {
        Response r = get("/api/v1/batches/" + RUNNING_ID, false);
        assertThat(r.getStatus()).isEqualTo(401);
        assertThat(r.getHeaderString("WWW-Authenticate")).isEqualTo("Bearer realm=\"rotakey\"");
        assertThat(r.readEntity(String.class)).startsWith("{\"code\":401,").doesNotContain(RUNNING_ID);
        assertThat(get("/api/v1/batches", false).getStatus()).isEqualTo(401);
    }

    @Test
    void anUnknownBatchIs404() {
        Response r = get("/api/v1/batches/00000000-0000-4000-8000-000000000000", true);
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.readEntity(String.class)).contains("batch '00000000-0000-4000-8000-000000000000' does not exist");
    }

    @ParameterizedTest
    @ValueSource(strings = {"x", "6F1C7A52-3F0E-4D7C-9A51-0C2D1E7B9A01", "'%20OR%201=1--", "%3Cscript%3E",
            "6f1c7a52-3f0e-4d7c-9a51-0c2d1e7b9a01x", "%E2%80%AE", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void aHostileIdIsRefusedWithout5xxOrEcho(String id) {
        Response r = get("/api/v1/batches/" + id, true);
        assertThat(r.getStatus()).isEqualTo(400);
        String body = r.readEntity(String.class);
        assertThat(body).contains("a batch id is a UUID").doesNotContain("script").doesNotContain("Exception");
    }

    @Test
    void badPagingIsA4xxNamingTheParameter() {
        assertThat(get("/api/v1/batches/" + RUNNING_ID + "?limit=0", true).getStatus()).isEqualTo(422);
        assertThat(get("/api/v1/batches/" + RUNNING_ID + "?limit=x", true).getStatus()).isEqualTo(400);
        Response r = get("/api/v1/batches/" + RUNNING_ID + "?after=-5", true);
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).contains("after");
        assertThat(get("/api/v1/batches?before=abc", true).getStatus()).isEqualTo(400);
    }
}
