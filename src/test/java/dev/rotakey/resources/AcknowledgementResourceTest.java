package dev.rotakey.resources;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.auth.AuthenticationFailures;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.core.AcknowledgementPolicy;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.service.AcknowledgementService;
import dev.rotakey.targets.TargetBinding;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.rotakey.resources.ResourceTests.CLOCK;
import static dev.rotakey.resources.ResourceTests.NOW;
import static dev.rotakey.resources.ResourceTests.OPERATOR;
import static dev.rotakey.resources.ResourceTests.REMOTE_ADDRESS;
import static dev.rotakey.resources.ResourceTests.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /api/v1/credentials/{id}/versions/{n}/ack} over HTTP: with an operator token, or anonymously with the
 * version's own secret, which is this endpoint's authentication: refusals are 401s with the Bearer challenge,
 * audited within the budget.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class AcknowledgementResourceTest {
    private static final String SECRET = secret("ack-c");
    private static final Store STORE = ResourceTests.database().store();
    private static final TestKeyBackend BACKEND = new TestKeyBackend("hsm");
    private static final AuditLog AUDIT = new AuditLog(STORE, CLOCK, NodeIdentity.single("test-node"));

    private static final ResourceExtension RESOURCES = ResourceTests.extension(() -> new AcknowledgementResource(
            new AcknowledgementService(STORE, new KeyBackends(Map.of("hsm", BACKEND)), AUDIT, new RecordingScheduler(),
                    CLOCK),
            new AuthenticationFailures(AUDIT, CLOCK)));

    @BeforeAll
    static void record() {
        STORE.txRun(d -> {
            d.agents().insert(new Agent("ack-agent", "team@example.com", Agent.AgentKind.PERSISTENT, null, Map.of(),
                    Agent.AgentStatus.ACTIVE, null, NOW, null));
            for (String id : List.of("ack-c", "ack-d", "ack-flood")) {
                d.credentials().insert(credential(id, new AcknowledgementPolicy(List.of("svc-1"), Duration.ofHours(3))));
                d.versions().insert(new CredentialVersion(id, 1, VersionState.CURRENT,
                        MaterialDigests.digest(BACKEND, secret(id).getBytes(StandardCharsets.UTF_8)), BACKEND.hmacKeyId(),
                        null, NOW, NOW, null, null, null, 0, null));
            }
            d.credentials().insert(credential("ack-grace", null));
        });
    }

    /** Each version's secret: digests are unique. */
    private static String secret(String credential) {
        return "rk_ack-secret-" + credential;
    }

    private static Credential credential(String id, AcknowledgementPolicy acks) {
        return new Credential(id, "ack-agent", CredentialType.API_KEY, "hsm", RotationPolicy.every(Duration.ofDays(7)),
                Duration.ofHours(1), List.of(new TargetBinding("files", Map.of("path", id + ".key"))),
                Credential.CredentialStatus.ACTIVE, NOW.plus(Duration.ofDays(7)), NOW, null, null, null, acks);
    }

    private static Response ack(String credential, String version, String operator, String body) {
        var request = RESOURCES.target("/api/v1/credentials/" + credential + "/versions/" + version + "/ack").request();
        if (operator != null) {
            request = request.header(OPERATOR, operator);
        }
        return request.post(json(body));
    }

    private static List<AuditEvent> failuresAudited(String credential) {
        return STORE.read(d -> d.audit().list(null, null, Long.MAX_VALUE, 1000)).stream()
                .filter(e -> e.action().equals(AuditAction.AUTH_FAILED.wireName()))
                .filter(e -> e.subject().equals("POST /api/v1/credentials/" + credential + "/versions/1/ack"))
                .toList();
    }

    @Test
    void theVersionsOwnSecretAuthenticatesAnAnonymousConsumer() {
        Response r = ack("ack-c", "1", null, "{\"consumer\":\"svc-1\",\"key\":\"" + SECRET + "\"}");
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"credential\":\"ack-c\",\"version\":1,\"consumer\":\"svc-1\","
                + "\"acknowledgedAt\":\"2026-12-01T00:00:00Z\",\"actor\":\"consumer:svc-1\"}");
        // Repeating it answers the first record.
        r = ack("ack-c", "1", "ops", "{\"consumer\":\"svc-1\"}");
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.readEntity(String.class)).contains("\"actor\":\"consumer:svc-1\"");
    }

    @Test
    void noKeyOrAWrongKeyIsAnAudited401WithTheChallenge() {
        Response r = ack("ack-d", "1", null, "{\"consumer\":\"svc-1\"}");
        assertThat(r.getStatus()).isEqualTo(401);
        assertThat(r.getHeaderString("WWW-Authenticate")).isEqualTo("Bearer realm=\"rotakey\"");
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":401,\"message\":\"missing Authorization header or "
                + "key: use 'Authorization: Bearer <token>' or present the version's key in the body\"}");
        r = ack("ack-d", "1", null, "{\"consumer\":\"svc-1\",\"key\":\"rk_wrong\"}");
        assertThat(r.getStatus()).isEqualTo(401);
        assertThat(r.readEntity(String.class))
                .isEqualTo("{\"code\":401,\"message\":\"the key is not the secret of this version\"}");
        // The same answer for a credential that does not exist: nothing to learn by probing.
        r = ack("no-such", "1", null, "{\"consumer\":\"svc-1\",\"key\":\"" + SECRET + "\"}");
        assertThat(r.getStatus()).isEqualTo(401);
        assertThat(r.readEntity(String.class))
                .isEqualTo("{\"code\":401,\"message\":\"the key is not the secret of this version\"}");
        assertThat(failuresAudited("ack-d")).extracting(AuditEvent::actor, AuditEvent::outcome, AuditEvent::details)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("anonymous", "denied", "missing Authorization header or key: "
                                + "use 'Authorization: Bearer <token>' or present the version's key in the body from "
                                + REMOTE_ADDRESS),
                        org.assertj.core.groups.Tuple.tuple("anonymous", "denied",
                                "the key is not the secret of this version from " + REMOTE_ADDRESS));
    }

    @Test
    void aFloodOfWrongKeysIsAuditedOnlyUpToTheBudget() {
        for (int i = 0; i < 30; i++) {
            Response r = RESOURCES.target("/api/v1/credentials/ack-flood/versions/1/ack").request()
                    .header(ResourceTests.FROM, "198.51.100.1").post(json("{\"consumer\":\"svc-1\",\"key\":\"rk_wrong\"}"));
            assertThat(r.getStatus()).isEqualTo(401);
        }
        // Twenty a minute per address (the clock stands still here); every refusal is still a 401.
        assertThat(failuresAudited("ack-flood")).hasSize(20)
                .allSatisfy(e -> assertThat(e.details()).endsWith(" from 198.51.100.1"));
    }

    @Test
    void withAnOperatorTheServicesRefusalsAreTheirUsual4xx() {
        Response r = ack("ack-grace", "1", "ops", "{\"consumer\":\"svc-1\"}");
        assertThat(r.getStatus()).isEqualTo(409);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":409,\"message\":\"credential 'ack-grace' does not "
                + "wait for acknowledgements (revokeWhen: grace)\"}");
        r = ack("no-such", "1", "ops", "{\"consumer\":\"svc-1\"}");
        assertThat(r.getStatus()).isEqualTo(404);
        r = ack("ack-d", "7", "ops", "{\"consumer\":\"svc-1\"}");
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":404,\"message\":\"version 'ack-d#v7' does not exist\"}");
        r = ack("ack-d", "one", "ops", "{\"consumer\":\"svc-1\"}");
        assertThat(r.getStatus()).isEqualTo(404);
        assertThat(r.readEntity(String.class)).isEqualTo("{\"code\":404,\"message\":\"version 'one' does not exist\"}");
        r = ack("ack-d", "1", "ops", "{\"consumer\":\"svc-9\"}");
        assertThat(r.getStatus()).isEqualTo(422);
        assertThat(r.readEntity(Map.class)).containsEntry("field", "consumer");
    }

    @Test
    void badJsonAndUnknownFieldsAre400() {
        Response r = ack("ack-d", "1", "ops", "{\"consumer\":");
        assertThat(r.getStatus()).isEqualTo(400);
        r = ack("ack-d", "1", "ops", "{\"consumer\":\"svc-1\",\"secret\":\"x\"}");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.readEntity(String.class))
                .isEqualTo("{\"code\":400,\"message\":\"unknown field 'secret'\",\"field\":\"secret\"}");
    }
}
