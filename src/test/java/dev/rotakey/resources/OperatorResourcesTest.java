package dev.rotakey.resources;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.cluster.ClusterNodes;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.AlertDao;
import dev.rotakey.db.Store;
import dev.rotakey.service.ApiKeyVerifier;
import dev.rotakey.service.OperatorQueries;
import dev.rotakey.service.RotationPlanner;
import dev.rotakey.service.StatusReport;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.rotakey.resources.ResourceTests.CLOCK;
import static dev.rotakey.resources.ResourceTests.NOW;
import static dev.rotakey.resources.ResourceTests.OPERATOR;
import dev.rotakey.audit.AuditChainVerifier;
import dev.rotakey.audit.AuditCheckpoints;
import dev.rotakey.audit.AuditExport;
import dev.rotakey.audit.AuditSigningKeys;
import dev.rotakey.audit.ChainLink;
import dev.rotakey.config.AuditCheckpointsFactory;

import static dev.rotakey.resources.ResourceTests.each;
import static dev.rotakey.resources.ResourceTests.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's read-only endpoints and the small ones over HTTP: audit trail, alerts, status, plan, API-key
 * verification and the public CA endpoints (here with no CA configured).
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class OperatorResourcesTest {
    private static final Store STORE = ResourceTests.database().store();
    private static final KeyBackends BACKENDS = new KeyBackends(Map.of("hsm", new TestKeyBackend("hsm")));
    private static final NodeIdentity NODE = NodeIdentity.single("test-node");
    private static final AuditLog AUDIT = new AuditLog(STORE, CLOCK, NODE);
    private static final OperatorQueries QUERIES = new OperatorQueries(STORE);
    private static final AuditSigningKeys AUDIT_KEYS = new AuditSigningKeys(BACKENDS, new AuditCheckpointsFactory());

    private static final ResourceExtension RESOURCES = ResourceTests.extension(
            () -> new AuditResource(QUERIES, new AuditChainVerifier(STORE, AUDIT_KEYS), new AuditExport(STORE, AUDIT_KEYS)), () -> new AlertResource(QUERIES),
            () -> new StatusResource(new StatusReport(STORE, new ClusterNodes(NODE, "rotakey", () -> false, CLOCK),
                    () -> true, () -> false, BACKENDS)),
            () -> new PlanResource(new RotationPlanner(STORE, CLOCK, () -> true)),
            () -> new ApiKeyResource(new ApiKeyVerifier(STORE, BACKENDS, AUDIT)),
            () -> new CertificateAuthorityResource(new CertificateAuthorities(Map.of(), BACKENDS, STORE, AUDIT, CLOCK)));

    @BeforeAll
    static void record() {
        for (int i = 1; i <= 3; i++) {
            AUDIT.record("token:ops", AuditAction.AGENT_CREATED, "agent:audit-" + i, "ok", "n=" + i);
        }
        STORE.txRun(d -> d.alerts().open(new AlertDao.Firing("fp-audit-test", "failed-rotations",
                Map.of("alertname", "RotakeyRotationFailed", "severity", "critical", "owner", "team@example.com"),
                "a rotation failed", "credential c failed", NOW, NOW, 1)));
    }

    private static WebTarget target(String path) {
        return RESOURCES.target(path);
    }

    @Test
    void theAuditChainIsVerifiedAndExportedAsJsonLines() {
        new AuditCheckpoints(STORE, AUDIT_KEYS, java.time.Duration.ofMinutes(1), CLOCK, NODE).checkpoint();
        Map<?, ?> report = target("/api/v1/audit/verify").request().get(Map.class);
        assertThat(report.get("intact")).isEqualTo(true);
        assertThat(((Number) report.get("events")).longValue()).isGreaterThanOrEqualTo(3);
        assertThat(((Number) report.get("checkpoints")).longValue()).isGreaterThanOrEqualTo(1);

        String export = target("/api/v1/audit/export").request().get(String.class);
        String[] lines = export.split("\n");
        assertThat(lines[0]).startsWith("{\"keys\":[{\"backend\":\"hsm\",\"key\":\"rotakey-audit-checkpoints\"");
        assertThat(lines[1]).startsWith("{\"seq\":1,\"prev\":\"" + ChainLink.GENESIS + "\",");
        assertThat(export).contains("{\"checkpoint\":{\"seq\":");
        assertThat(target("/api/v1/audit/export").queryParam("from", "0").request().get().getStatus()).isEqualTo(400);
    }

    @Test
    void theAuditTrailIsNewestFirstWithACursor() {
        Map<?, ?> page = target("/api/v1/audit").queryParam("subject", "agent:audit-2").request()
                .header(OPERATOR, "ops").get(Map.class);
        assertThat(page.keySet()).hasToString("[events, next]");
        assertThat(each(page, "events", "subject")).containsExactly("agent:audit-2");
        assertThat(each(page, "events", "action")).containsExactly("agent.created");
        assertThat(each(page, "events", "at")).containsExactly("2026-12-01T00:00:00Z");
        assertThat(each(page, "events", "node")).containsExactly("test-node");
        Map<?, ?> first = target("/api/v1/audit").queryParam("limit", 1).request().header(OPERATOR, "ops").get(Map.class);
        Object next = first.get("next");
        assertThat(next).isEqualTo(String.valueOf(each(first, "events", "id").get(0)));
        Map<?, ?> second = target("/api/v1/audit").queryParam("limit", 1).queryParam("before", next).request()
                .header(OPERATOR, "ops").get(Map.class);
        assertThat(((Number) each(second, "events", "id").get(0)).longValue()).isLessThan(Long.parseLong((String) next));
        Response r = target("/api/v1/audit").queryParam("before", "yesterday").request().header(OPERATOR, "ops").get();
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class)).doesNotContain("Exception", "dev.rotakey");
    }

    @Test
    void firingAlertsShowTheirLabelsAndNotifications() {
        String alerts = target("/api/v1/alerts").request().header(OPERATOR, "ops").get(String.class);
        assertThat(alerts).contains("{\"fingerprint\":\"fp-audit-test\",\"alertname\":\"RotakeyRotationFailed\","
                + "\"severity\":\"critical\",\"owner\":\"team@example.com\",\"labels\":{");
        assertThat(alerts).contains("\"summary\":\"a rotation failed\",\"description\":\"credential c failed\","
                + "\"startsAt\":\"2026-12-01T00:00:00Z\",\"lastNotifiedAt\":\"2026-12-01T00:00:00Z\",\"notifications\":1}");
    }

    @Test
    void theStatusHasItsSectionsInOrder() {
        Map<?, ?> status = target("/api/v1/status").request().header(OPERATOR, "ops").get(Map.class);
        assertThat(status.keySet()).hasToString("[node, paused, schedulerRunning, nodes, credentials, versions, "
                + "failedRotations, failedRevocations, acknowledgementOverdue, alertsFiring, keyBackends]");
        assertThat(status.get("node")).isEqualTo("test-node");
        assertThat(status.get("paused")).isEqualTo(true);
        assertThat(status.get("schedulerRunning")).isEqualTo(false);
        // Not clustered: this node alone, without check-ins, healthy only while its scheduler runs (here it does not).
        Map<String, Object> self = new LinkedHashMap<>();
        self.put("instanceId", "test-node");
        self.put("lastCheckin", null);
        self.put("checkinInterval", null);
        self.put("self", true);
        self.put("healthy", false);
        assertThat(status.get("nodes")).isEqualTo(List.of(self));
        assertThat(status.get("alertsFiring")).hasToString("{RotakeyRotationFailed=1}");
        assertThat(status.get("keyBackends"))
                .isEqualTo(Map.of("hsm", Map.of("type", "test", "healthy", true, "message", "ok")));
    }

    @Test
    void thePlanRefusesABadWindowNamingIt() {
        Response r = target("/api/v1/plan").queryParam("within", "soon").request().header(OPERATOR, "ops").get();
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":422,\"message\":\"within: must be an ISO-8601 "
                + "duration such as PT24H or P7D\",\"field\":\"within\"}");
        Map<?, ?> plan = target("/api/v1/plan").queryParam("within", "PT1H").request().header(OPERATOR, "ops").get(Map.class);
        assertThat(plan.get("within")).isEqualTo("PT1H");
        assertThat(plan.get("paused")).isEqualTo(true);
    }

    @Test
    void verifyingAKeyAnswersItsValidityAndRefusesAMissingBody() {
        Response r = target("/api/v1/api-keys/verify").request().header(OPERATOR, "ops").post(json("{\"key\":\"rk_nope\"}"));
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.readEntity(Map.class)).containsEntry("valid", false).containsKey("reason");
        r = target("/api/v1/api-keys/verify").request().header(OPERATOR, "ops").post(json("{}"));
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":422,\"message\":\"key: is required\",\"field\":\"key\"}");
        r = target("/api/v1/api-keys/verify").request().header(OPERATOR, "ops").post(json("{\"key\":\"x\",\"k\":1}"));
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "k");
    }

    @Test
    void anUnknownCaIs404InJsonAndABadGeneration400() {
        Response r = target("/api/v1/cas/nope").request().get();
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.readEntity(String.class))
                .isEqualTo("{\"code\":404,\"message\":\"certificate authority 'nope' does not exist\"}");
        r = target("/api/v1/cas/nope/chain").request().get();
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.getMediaType().toString()).startsWith("application/json");
        r = target("/api/v1/cas/nope/crl").queryParam("generation", "0").request().get();
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":400,\"message\":\"generation must be a positive "
                + "integer, not '0'\"}");
    }
}
