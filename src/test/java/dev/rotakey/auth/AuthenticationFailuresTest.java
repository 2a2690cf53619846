package dev.rotakey.auth;

import dev.rotakey.api.ErrorBody;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Failed authentications: the 401 body, and audit events within one budget per remote address per kind. */
class AuthenticationFailuresTest {
    @TempDir
    Path dir;

    @Test
    void eachKindHasItsOwnBudgetPerAddressAndEveryRefusalIsA401() throws Exception {
        try (TestDatabase db = TestDatabases.open(TestDatabases.Engine.H2, dir)) {
            Clock clock = Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC);
            AuthenticationFailures failures = new AuthenticationFailures(
                    new AuditLog(db.store(), clock, NodeIdentity.single("test-node")), clock);
            for (int i = 0; i < AuthenticationFailures.AUDITED_PER_MINUTE + 5; i++) {
                ErrorBody body = failures.refuse(AuthenticationFailures.Kind.APPLICATION_TOKEN, "10.0.0.1",
                        "GET /api/v1/agents", "unknown or revoked token");
                assertThat(body).isEqualTo(new ErrorBody(401, "unknown or revoked token", null));
            }
            failures.refuse(AuthenticationFailures.Kind.ADMIN_TOKEN, "10.0.0.1", "POST /tasks/rotate", "no token");
            failures.refuse(AuthenticationFailures.Kind.VERSION_SECRET, "10.0.0.1", "POST /ack", "wrong key");
            failures.refuse(AuthenticationFailures.Kind.APPLICATION_TOKEN, "10.0.0.2", "GET /api/v1/agents", "no token");

            List<AuditEvent> events = db.store().read(d -> d.audit().list(null, null, Long.MAX_VALUE, 100));
            assertThat(events).allSatisfy(e -> {
                assertThat(e.actor()).isEqualTo("anonymous");
                assertThat(e.action()).isEqualTo("auth.failed");
                assertThat(e.outcome()).isEqualTo("denied");
            });
            assertThat(events).filteredOn(e -> e.details().equals("unknown or revoked token from 10.0.0.1"))
                    .hasSize(AuthenticationFailures.AUDITED_PER_MINUTE);
            assertThat(events).extracting(AuditEvent::subject, AuditEvent::details).contains(
                    org.assertj.core.groups.Tuple.tuple("POST /tasks/rotate", "no token from 10.0.0.1"),
                    org.assertj.core.groups.Tuple.tuple("POST /ack", "wrong key from 10.0.0.1"),
                    org.assertj.core.groups.Tuple.tuple("GET /api/v1/agents", "no token from 10.0.0.2"));
            assertThat(events).hasSize(AuthenticationFailures.AUDITED_PER_MINUTE + 3);
        }
    }
}
