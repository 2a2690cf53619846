package dev.rotakey.audit.stream;

import com.cloudbees.syslog.Facility;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.db.AuditDao.Chained;
import io.dropwizard.jackson.Jackson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The OCSF and RFC 5424 shapes of audit events: every action has a class, every event the attributes its class needs. */
class OcsfEventsTest {
    private static final ObjectMapper JSON = Jackson.newMinimalObjectMapper();
    private static final OcsfEvents OCSF = new OcsfEvents(JSON);
    private static final Instant AT = Instant.parse("2026-12-06T10:00:00.123456Z");

    private static Chained chained(long seq, String actor, String action, String subject, String outcome, String details) {
        return new Chained(seq + 100, seq, "a".repeat(64), "b".repeat(64),
                new AuditEvent(seq + 100, AT, actor, action, subject, outcome, "corr-1", details, "node-a"));
    }

    private static JsonNode ocsf(Chained c) throws Exception {
        return JSON.readTree(OCSF.line(c));
    }

    /** The attributes OCSF 1.3 requires of each class, with the base event's. */
    private static final Map<Integer, Set<String>> REQUIRED = Map.of(
            3002, Set.of("user"),
            3001, Set.of("user"),
            6003, Set.of("actor", "api", "src_endpoint"));

    @ParameterizedTest
    @EnumSource(AuditAction.class)
    void everyActionIsAnEventOfOneOfTheThreeClassesWithWhatTheClassRequires(AuditAction action) throws Exception {
        JsonNode e = ocsf(chained(7, "token:ops", action.wireName(), "credential:c1", "ok", "done"));

        int classUid = e.get("class_uid").asInt();
        assertThat(classUid).isIn(3001, 3002, 6003);
        for (String field : new String[]{"activity_id", "category_uid", "class_uid", "severity_id", "time", "type_uid",
                "metadata"}) {
            assertThat(e.has(field)).as(field).isTrue();
        }
        assertThat(e.get("type_uid").asLong()).isEqualTo(classUid * 100L + e.get("activity_id").asInt());
        assertThat(e.get("category_uid").asInt()).isEqualTo(classUid / 1000);
        REQUIRED.get(classUid).forEach(f -> assertThat(e.has(f)).as(f).isTrue());
        assertThat(e.at("/metadata/version").asText()).isEqualTo("1.3.0");
        assertThat(e.at("/metadata/product/name").asText()).isEqualTo("Rotakey");
        assertThat(e.at("/metadata/uid").asText()).isEqualTo("7");
        assertThat(e.at("/metadata/correlation_uid").asText()).isEqualTo("corr-1");
        assertThat(e.get("time").asLong()).isEqualTo(AT.toEpochMilli());
        assertThat(e.at("/unmapped/hash").asText()).isEqualTo("b".repeat(64));
    }

    @Test
    void aRefusedAuthenticationIsAFailedLogonFromItsAddress() throws Exception {
        JsonNode e = ocsf(chained(1, "anonymous", "auth.failed", "POST /api/v1/agents", "denied",
                "unknown token from 192.0.2.7"));

        assertThat(e.get("class_uid").asInt()).isEqualTo(3002);
        assertThat(e.get("activity_id").asInt()).isEqualTo(1);
        assertThat(e.get("status_id").asInt()).isEqualTo(2);
        assertThat(e.at("/src_endpoint/ip").asText()).isEqualTo("192.0.2.7");
        assertThat(e.at("/http_request/http_method").asText()).isEqualTo("POST");
        assertThat(e.at("/http_request/url/path").asText()).isEqualTo("/api/v1/agents");
        assertThat(e.at("/severity_id").asInt()).isEqualTo(3);
    }

    @Test
    void aLockOutAndARevokedKeyPresentedAreHighSeverity() throws Exception {
        assertThat(ocsf(chained(1, "anonymous", "auth.locked-out", "GET /x", "denied",
                "too many failed authentications from 2001:db8::1: refused for a while")).at("/src_endpoint/ip").asText())
                .isEqualTo("2001:db8::1");
        JsonNode presented = ocsf(chained(2, "token:verifier", "api-key.revoked-presented", "credential:c1/v1",
                "denied", "revoked key presented"));
        assertThat(presented.get("severity_id").asInt()).isEqualTo(4);
        assertThat(presented.at("/user/name").asText()).isEqualTo("credential:c1/v1");
    }

    @Test
    void aPromotedVersionIsAPasswordChangeOfItsCredential() throws Exception {
        JsonNode e = ocsf(chained(3, "scheduler", "version.promoted", "credential:db-1/v2", "ok", null));
        assertThat(e.get("type_uid").asInt()).isEqualTo(300103);
        assertThat(e.at("/user/uid").asText()).isEqualTo("credential:db-1/v2");
    }

    @Test
    void otherActionsAreApiActivityOnTheirSubject() throws Exception {
        JsonNode e = ocsf(chained(4, "token:ops", "rotation.started", "credential:c9", "ok", null));
        assertThat(e.get("type_uid").asInt()).isEqualTo(600301);
        assertThat(e.at("/api/operation").asText()).isEqualTo("rotation.started");
        assertThat(e.at("/resources/0/uid").asText()).isEqualTo("credential:c9");
        assertThat(e.at("/resources/0/type").asText()).isEqualTo("credential");
        assertThat(e.at("/actor/user/type").asText()).isEqualTo("Admin");
    }

    @Test
    void syslogStructuredDataEscapesWhatWouldEndAValueAndTheMessageStaysOnOneLine() {
        SyslogFormat f = new SyslogFormat("h", "rotakey", Facility.AUTHPRIV, 32473);
        String m = f.unframed(chained(5, "token:a\"b]c\\d", "auth.failed", "GET /", "denied", "line one\nline two"));

        assertThat(m).startsWith("<84>1 2026-12-06T10:00:00.123Z h rotakey - auth.failed [rotakey@32473 seq=\"5\" id=\"105\" "
                + "actor=\"token:a\\\"b\\]c\\\\d\"");
        assertThat(m).endsWith("] line one\\nline two");
        assertThat(f.framed(chained(5, "x", "auth.failed", "é", "denied", null)))
                .matches(s -> s.startsWith(s.substring(s.indexOf(' ') + 1).getBytes(java.nio.charset.StandardCharsets.UTF_8).length + " "));
    }
}
