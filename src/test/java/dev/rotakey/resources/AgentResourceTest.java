package dev.rotakey.resources;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.core.AttestationPolicy;
import dev.rotakey.service.AgentChanges;
import dev.rotakey.service.AgentService;
import dev.rotakey.service.Attestations;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.testing.TestDatabase;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.rotakey.resources.ResourceTests.CLOCK;
import static dev.rotakey.resources.ResourceTests.OPERATOR;
import static dev.rotakey.resources.ResourceTests.each;
import static dev.rotakey.resources.ResourceTests.json;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code /api/v1/agents} over HTTP: the shapes of agents, pages and refusals. */
@ExtendWith(DropwizardExtensionsSupport.class)
class AgentResourceTest {
    private static final TestDatabase DB = ResourceTests.database();
    private static final RecordingScheduler SCHEDULER = new RecordingScheduler();

    private static final AuditLog AUDIT = new AuditLog(DB.store(), CLOCK, NodeIdentity.single("test-node"));
    private static final ResourceExtension RESOURCES = ResourceTests.extension(() -> new AgentResource(
            new AgentService(DB.store(), AUDIT, SCHEDULER, CLOCK), new OwnerScope(DB.store()),
            new Attestations(DB.store(), AUDIT, new AttestationPolicy(Duration.ofDays(90), Duration.ofDays(14)), CLOCK),
            new AgentChanges(DB.store(), AUDIT, CLOCK)));

    private static Response post(String body) {
        return RESOURCES.target("/api/v1/agents").request().header(OPERATOR, "ops").post(json(body));
    }

    @Test
    void createAnswers201WithTheLocationAndTheAgent() {
        Response r = post("{\"id\":\"billing\",\"owner\":\" team@example.com \",\"attributes\":{\"tier\":\"gold\"}}");
        assertThat(r.getStatus()).isEqualTo(201);
        assertThat(r.getLocation().getPath()).isEqualTo("/api/v1/agents/billing");
        assertThat(r.readEntity(String.class)).isEqualTo("{\"id\":\"billing\",\"owner\":\"team@example.com\","
                + "\"kind\":\"persistent\",\"description\":null,\"attributes\":{\"tier\":\"gold\"},\"status\":\"active\","
                + "\"expiresAt\":null,\"createdAt\":\"2026-12-01T00:00:00Z\",\"decommissionedAt\":null,"
                + "\"attestation\":{\"state\":\"current\",\"every\":\"P90D\",\"ownInterval\":false,"
                + "\"dueAt\":\"2027-03-01T00:00:00Z\"}}");
        String got = RESOURCES.target("/api/v1/agents/billing").request().header(OPERATOR, "ops").get(String.class);
        assertThat(got).contains("\"id\":\"billing\"", "\"createdAt\":\"2026-12-01T00:00:00Z\"");
        String audit = DB.store().read(d -> d.audit().list("agent:billing", null, Long.MAX_VALUE, 10)).get(0).actor();
        assertThat(audit).isEqualTo("token:ops");
    }

    @Test
    void anEphemeralAgentHasItsDecommissionScheduled() {
        Response r = post("{\"id\":\"eph\",\"owner\":\"o\",\"kind\":\"ephemeral\",\"expiresAt\":\"2026-12-02T00:00:00Z\"}");
        assertThat(r.getStatus()).isEqualTo(201);
        assertThat(r.readEntity(String.class)).contains("\"kind\":\"ephemeral\"", "\"expiresAt\":\"2026-12-02T00:00:00Z\"");
        assertThat(SCHEDULER.scheduled).contains("decommission eph@2026-12-02T00:00:00Z");
    }

    @Test
    void aSecondAgentWithTheSameIdIs409() {
        assertThat(post("{\"id\":\"twice\",\"owner\":\"o\"}").getStatus()).isEqualTo(201);
        Response r = post("{\"id\":\"twice\",\"owner\":\"o\"}");
        assertThat(r.getStatus()).isEqualTo(409);
        assertThat(r.getMediaType().toString()).startsWith("application/json");
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":409,\"message\":\"agent 'twice' already exists\"}");
    }

    @Test
    void invalidFieldsAre422NamingTheField() {
        Response r = post("{\"id\":\"no-owner\"}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":422,\"message\":\"owner: is required: every agent "
                + "needs an accountable person or team\",\"field\":\"owner\"}");
        r = post("{\"id\":\"-bad\",\"owner\":\"o\"}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "id");
        r = post("{\"id\":\"past\",\"owner\":\"o\",\"kind\":\"ephemeral\",\"expiresAt\":\"2026-11-30T00:00:00Z\"}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "expiresAt");
    }

    @Test
    void badJsonUnknownFieldsAndWrongTypesAre400() {
        Response r = post("{\"id\":");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class)).startsWith("{\"code\":400,\"message\":\"the request body is not valid JSON");
        r = post("{\"id\":\"x\",\"owner\":\"o\",\"colour\":\"red\"}");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class))
                .isEqualTo("{\"code\":400,\"message\":\"unknown field 'colour'\",\"field\":\"colour\"}");
        r = post("{\"id\":\"x\",\"owner\":\"o\",\"expiresAt\":\"tomorrow\"}");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":400,\"message\":\"expiresAt: expected an ISO-8601 "
                + "timestamp such as 2026-12-01T00:00:00Z\",\"field\":\"expiresAt\"}");
        r = post("{\"id\":\"x\",\"owner\":\"o\",\"attributes\":[1]}");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "attributes");
    }

    @Test
    void anUnknownAgentIs404() {
        Response r = RESOURCES.target("/api/v1/agents/nobody").request().header(OPERATOR, "ops").get();
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":404,\"message\":\"agent 'nobody' does not exist\"}");
    }

    @Test
    void theListIsPagedByIdWithANextCursor() {
        for (String id : List.of("page-a", "page-b", "page-c")) {
            assertThat(post("{\"id\":\"" + id + "\",\"owner\":\"o\"}").getStatus()).isEqualTo(201);
        }
        Map<?, ?> first = RESOURCES.target("/api/v1/agents").queryParam("after", "page-").queryParam("limit", 2)
                .request().header(OPERATOR, "ops").get(Map.class);
        assertThat(first.keySet()).hasToString("[agents, next]");
        assertThat(each(first, "agents", "id")).containsExactly("page-a", "page-b");
        assertThat(first.get("next")).isEqualTo("page-b");
        Map<?, ?> last = RESOURCES.target("/api/v1/agents").queryParam("after", "page-b").queryParam("limit", 2)
                .request().header(OPERATOR, "ops").get(Map.class);
        assertThat(each(last, "agents", "id")).containsExactly("page-c");
        assertThat(last.get("next")).isNull();
    }

    @Test
    void aLimitOutOfRangeIs422AndANonNumberIs400() {
        Response r = RESOURCES.target("/api/v1/agents").queryParam("limit", 0).request().header(OPERATOR, "ops").get();
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class))
                .isEqualTo("{\"code\":422,\"message\":\"limit: must be between 1 and 1000\",\"field\":\"limit\"}");
        r = RESOURCES.target("/api/v1/agents").queryParam("limit", "many").request().header(OPERATOR, "ops").get();
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class)).doesNotContain("Exception", "dev.rotakey");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static Response patch(String id, String body) {
        return RESOURCES.target("/api/v1/agents/" + id).request().header(OPERATOR, "ops")
                .build("PATCH", json(body)).invoke();
    }

    private static Response attest(String id, String header, String value) {
        return RESOURCES.target("/api/v1/agents/" + id + "/attest").request().header(header, value).post(json("{}"));
    }

    @Test
    void patchChangesAttributesAndTheIntervalAndAuditsBeforeAndAfter() {
        post("{\"id\":\"patched\",\"owner\":\"o\",\"attributes\":{\"tier\":\"gold\"}}");
        Response r = patch("patched", "{\"attributes\":{\"tier\":\"silver\"},\"attestEvery\":\"P30D\"}");
        assertThat(r.getStatus()).isEqualTo(200);
        Map<?, ?> body = r.readEntity(Map.class);
        assertThat(body.get("attributes")).isEqualTo(Map.of("tier", "silver"));
        assertThat(map(body.get("attestation"))).containsEntry("every", "P30D").containsEntry("ownInterval", true)
                .containsEntry("dueAt", "2026-12-31T00:00:00Z");
        String detail = DB.store().read(d -> d.audit().list("agent:patched", null, Long.MAX_VALUE, 10)).get(0).details();
        assertThat(detail).contains("attributes: {tier=gold} -> {tier=silver}", "attestEvery: (policy) -> PT720H");
        // Cleared: back to the policy.
        assertThat(map(patch("patched", "{\"attestEvery\":null}").readEntity(Map.class).get("attestation")))
                .containsEntry("every", "P90D").containsEntry("ownInterval", false);
    }

    @Test
    void patchRefusesUnknownFieldsAndBadValuesNamingTheField() {
        post("{\"id\":\"strict\",\"owner\":\"o\"}");
        Response r = patch("strict", "{\"kind\":\"ephemeral\"}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).contains("kind");
        r = patch("strict", "{\"attestEvery\":\"soon\"}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).contains("attestEvery");
        r = patch("strict", "{\"attributes\":{\"a\":1}}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).contains("attributes");
        assertThat(patch("strict", "{}").getStatus()).isEqualTo(400);
        assertThat(patch("nobody", "{\"owner\":\"x\"}").getStatus()).isEqualTo(404);
    }

    @Test
    void anOwnerChangeWaitsForTheNewOwnersAttestation() {
        post("{\"id\":\"moving\",\"owner\":\"alice\"}");
        Map<?, ?> body = patch("moving", "{\"owner\":\"bob\"}").readEntity(Map.class);
        assertThat(body.get("owner")).as("not yet transferred").isEqualTo("alice");
        assertThat(map(body.get("attestation"))).containsEntry("pendingOwner", "bob");
        // An operator's attestation is the current owner's: the transfer still waits.
        assertThat(attest("moving", OPERATOR, "ops").readEntity(Map.class).get("owner")).isEqualTo("alice");
        // A third owner's token learns nothing of the agent.
        assertThat(attest("moving", ResourceTests.OWNER, "carol").getStatus()).isEqualTo(404);
        // The new owner's own token attests it, and takes it over.
        Response r = attest("moving", ResourceTests.OWNER, "bob");
        assertThat(r.getStatus()).isEqualTo(200);
        body = r.readEntity(Map.class);
        assertThat(body.get("owner")).isEqualTo("bob");
        assertThat(map(body.get("attestation"))).doesNotContainKey("pendingOwner")
                .containsEntry("attestedAt", "2026-12-01T00:00:00Z");
        List<String> actions = DB.store().read(d -> d.audit().list("agent:moving", null, Long.MAX_VALUE, 10)).stream()
                .map(e -> e.action()).toList();
        assertThat(actions).contains("agent.transfer-requested", "agent.attested", "agent.changed");
    }
}
