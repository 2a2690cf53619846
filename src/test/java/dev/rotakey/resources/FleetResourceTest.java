package dev.rotakey.resources;

import dev.rotakey.db.Store;
import dev.rotakey.service.CredentialQueries;
import dev.rotakey.service.FleetQueries;
import dev.rotakey.service.OwnerScope;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;

import static dev.rotakey.resources.ResourceTests.CLOCK;
import static dev.rotakey.resources.ResourceTests.OPERATOR;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/fleet} and {@code GET /api/v1/rotations} over HTTP: their JSON shapes, and every bad parameter
 * answered with a JSON 4xx naming it (the figures themselves are {@code FleetDaoIT}'s, on both databases).
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class FleetResourceTest {
    private static final Store STORE = ResourceTests.database().store();
    private static final FleetQueries FLEET = new FleetQueries(STORE, CLOCK);

    private static final ResourceExtension RESOURCES = ResourceTests.extension(
            () -> new FleetResource(FLEET),
            () -> new RotationResource(new CredentialQueries(STORE, null), new OwnerScope(STORE), FLEET));

    private static Response get(String path, String query) {
        jakarta.ws.rs.client.WebTarget t = RESOURCES.target(path);
        if (query != null) {
            String[] kv = query.split("=", 2);
            t = t.queryParam(kv[0], kv[1]);
        }
        return t.request().header(OPERATOR, "ops").get();
    }

    @Test
    void theFleetAndTheRecentRotationsAnswerTheirShapes() {
        Response fleet = get("/api/v1/fleet", "owners=3");
        assertThat(fleet.getStatus()).isEqualTo(200);
        @SuppressWarnings("unchecked") Map<String, Object> shape = fleet.readEntity(Map.class);
        assertThat(shape).containsKeys("credentials", "activeByType", "owners", "failing", "rotating",
                "overdue", "versions");
        Response recent = get("/api/v1/rotations", "since=PT1H");
        assertThat(recent.getStatus()).isEqualTo(200);
        @SuppressWarnings("unchecked") Map<String, Object> body = recent.readEntity(Map.class);
        assertThat(body).containsKeys("since", "counts", "rotations", "more");
        assertThat(body.get("since")).isEqualTo(CLOCK.instant().minusSeconds(3600).toString());
    }

    @Test
    void everyBadParameterIsA4xxJsonNamingIt() {
        for (String[] bad : List.of(new String[]{"/api/v1/rotations", "since=tomorrow", "since"},
                new String[]{"/api/v1/rotations", "since=P1Y", "since"},
                new String[]{"/api/v1/rotations", "since=-PT1H", "since"},
                new String[]{"/api/v1/rotations", "state=<script>", "state"},
                new String[]{"/api/v1/rotations", "limit=0", "limit"},
                new String[]{"/api/v1/rotations", "limit=1001", "limit"},
                new String[]{"/api/v1/fleet", "owners=0", "owners"})) {
            Response r = get(bad[0], bad[1]);
            assertThat(r.getStatus()).as(bad[1]).isEqualTo(422);
            @SuppressWarnings("unchecked") Map<String, Object> body = r.readEntity(Map.class);
            assertThat(body).as(bad[1]).containsEntry("field", bad[2]);
            assertThat(body.get("message").toString()).doesNotContain("<script>").doesNotContain("Exception");
        }
        Response notANumber = get("/api/v1/rotations", "limit=many");
        assertThat(notANumber.getStatus()).isEqualTo(400);
        assertThat(notANumber.readEntity(Map.class).get("message").toString()).contains("limit");
    }
}
