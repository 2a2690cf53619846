package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.targets.postgres.PostgresProbe;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Through the real daemon: a second credential bound to a file another credential holds is answered 409 with JSON
 * naming the target and the holder (and nothing secret); a password on an alternating {@code postgres-role} binding
 * shows each version's login role in {@code GET /api/v1/credentials/{id}}.
 */
class BindingClaimsEndToEndIT {
    @TempDir
    Path dir;

    private RunningDaemon daemon;
    private final PostgresProbe postgres = new PostgresProbe();

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        postgres.close();
    }

    private RunningDaemon.Answer credential(String id, String agent, String type, String binding) {
        return daemon.post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"" + agent + "\",\"type\":\"" + type
                + "\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\",\"targets\":[" + binding
                + "]}");
    }

    @Test
    void aSharedFileIsRefusedWithAConflictAndLoginRolesAreShown() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("claims"),
                ConfigOverride.config("targets.pg-main.type", "postgres-role"),
                ConfigOverride.config("targets.pg-main.url", PostgresProbe.URL),
                ConfigOverride.config("targets.pg-main.user", PostgresProbe.ADMIN));
        for (String agent : new String[] {"billing", "reporting"}) {
            assertThat(daemon.post("/api/v1/agents", "{\"id\":\"" + agent + "\",\"owner\":\"team@example.com\"}").status())
                    .isEqualTo(201);
        }
        RunningDaemon.Answer first = credential("billing-api", "billing", "api-key",
                "{\"target\":\"local-files\",\"path\":\"shared/api-key\"}");
        assertThat(first.status()).as(first.body()).isEqualTo(201);
        String key = daemon.delivered("shared/api-key");

        RunningDaemon.Answer second = credential("reporting-api", "reporting", "api-key",
                "{\"target\":\"local-files\",\"path\":\"shared/api-key\"}");
        assertThat(second.status()).as(second.body()).isEqualTo(409);
        JsonNode error = second.json();
        assertThat(error.get("code").asInt()).isEqualTo(409);
        assertThat(error.get("message").asText()).contains("target 'local-files'", "path 'shared/api-key'",
                "credential 'billing-api'");
        assertThat(second.body()).doesNotContain(key).doesNotContain("Exception").doesNotContain("dev.rotakey");
        assertThat(daemon.get("/api/v1/credentials/reporting-api").status()).isEqualTo(404);
        assertThat(daemon.delivered("shared/api-key")).as("the holder's key is untouched").isEqualTo(key);

        String role = postgres.newRole();
        RunningDaemon.Answer pg = credential("reporting-db", "reporting", "password",
                "{\"target\":\"pg-main\",\"role\":\"" + role + "\",\"strategy\":\"alternating\"}");
        assertThat(pg.status()).as(pg.body()).isEqualTo(201);
        JsonNode logins = daemon.get("/api/v1/credentials/reporting-db").json().get("versions").get(0).get("logins");
        assertThat(logins.get(0).get("target").asText()).isEqualTo("pg-main");
        assertThat(logins.get(0).get("login").asText()).isEqualTo(role + "_a");
        RunningDaemon.Answer taken = credential("billing-db", "billing", "password",
                "{\"target\":\"pg-main\",\"role\":\"" + role + "_a\"}");
        assertThat(taken.status()).as(taken.body()).isEqualTo(409);
        assertThat(taken.json().get("message").asText()).contains("role '" + role + "_a'", "credential 'reporting-db'");
    }
}
