package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator's tasks on an agent with thousands of credentials, through the real daemon (H2, SoftHSM2, files): the
 * rotate task answers with its batch before the rotations are done (the answer time is printed, not asserted); an
 * emergency given during that mass rotation does not wait behind it; a daemon stopped in the middle of a batch
 * resumes it at its next start without starting any rotation twice. The tests run in order on one daemon.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorBatchesEndToEndIT {
    private static final int FLEET = 2_000;
    private static final int RESUMED = 300;

    @TempDir
    static Path dir;

    RunningDaemon daemon;
    String scheduler;
    /** The answer to the first test's mass rotation, whose queue the second test's emergency must pass. */
    JsonNode fleetBatch;

    private String databaseUrl() {
        return "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000";
    }

    private void startDaemon() {
        // One thread for rotations due now: the batch starts rotations faster than it runs them, so a deep queue
        // forms whatever the machine's speed (with more threads a fast machine ran the fleet down before the
        // emergency arrived, and there was no queue to pass).
        daemon = new RunningDaemon(dir.resolve("data"), databaseUrl(), SoftHsmTokens.APP, scheduler,
                ConfigOverride.config("scheduler.rotationThreads", "1"));
    }

    @BeforeAll
    void start() {
        scheduler = RunningDaemon.uniqueName("batches");
        startDaemon();
    }

    @AfterAll
    void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    /**
     * An agent with {@code n} API keys, written to the database directly (creating them through the API, each with
     * its first version in the HSM, would take most of this test's time): each with a CURRENT version 1 of a random
     * digest, bound to its own file.
     */
    private List<String> fleet(String agent, int n) {
        Store store = daemon.runtime().store();
        Instant now = Instant.now();
        List<String> ids = new ArrayList<>();
        store.txRun(d -> {
            d.agents().insert(new Agent(agent, "fleet@example.com", Agent.AgentKind.PERSISTENT, null, Map.of(),
                    Agent.AgentStatus.ACTIVE, null, now, null));
            for (int i = 0; i < n; i++) {
                String id = String.format("%s-%05d", agent, i);
                ids.add(id);
                d.credentials().insert(new Credential(id, agent, CredentialType.API_KEY, "hsm",
                        RotationPolicy.every(Duration.ofDays(30)), Duration.ofHours(1),
                        List.of(new TargetBinding("local-files", Map.of("path", agent + "/" + id))),
                        Credential.CredentialStatus.ACTIVE, null, now, null, null, null, null));
                byte[] digest = new byte[32];
                ThreadLocalRandom.current().nextBytes(digest);
                d.versions().insert(new CredentialVersion(id, 1, VersionState.CURRENT, HexFormat.of().formatHex(digest),
                        "bulk", null, now, now, null, null, null, 0, null));
            }
        });
        return ids;
    }

    private JsonNode batch(JsonNode answer) {
        return daemon.get(answer.path("batch").path("href").asText()).json();
    }

    @Test
    @Order(1)
    void theRotateTaskForAnAgentWithThousandsOfCredentialsAnswersBeforeItsRotationsAreDone() {
        List<String> ids = fleet("fleet", FLEET);
        // The first task a daemon serves pays for loading its classes: not what is measured here.
        fleet("warm-up", 1);
        daemon.awaitBatch(daemon.task("/tasks/rotate?agent=warm-up"));

        long t0 = System.nanoTime();
        RunningDaemon.Answer a = daemon.task("/tasks/rotate?agent=fleet");
        long answeredMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        // Done would be every credential at version 2: read at once, while the rotations have barely begun.
        long atVersion2 = daemon.runtime().store().read(d -> ids.stream()
                .filter(id -> d.versions().maxVersion(id) >= 2).count());
        fleetBatch = a.json();
        assertThat(fleetBatch.path("batch").path("state").asText()).isEqualTo("RUNNING");
        JsonNode first = batch(fleetBatch);
        System.out.printf("rotate?agent= with %d credentials answered in %d ms; just after, %d credential(s) had a "
                        + "version 2 and the batch had started %d rotation(s)%n", FLEET, answeredMs, atVersion2,
                first.path("counts").path("started").asLong());
        assertThat(atVersion2).as("credentials with a version 2 when the task answered").isLessThan(FLEET);

        await("the batch lists the agent's credentials").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                .until(() -> batch(fleetBatch).path("counts").path("total").asInt() == FLEET);
        long t1 = System.nanoTime();
        await("the batch starts rotations").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                .until(() -> batch(fleetBatch).path("counts").path("started").asInt() >= 200);
        JsonNode later = batch(fleetBatch);
        System.out.printf("its batch started 200 rotations in %d ms (%d started so far, %d rotations succeeded)%n",
                (System.nanoTime() - t1) / 1_000_000, later.path("counts").path("started").asLong(),
                later.path("rotations").path("SUCCEEDED").asLong());
        assertThat(later.path("items")).hasSize(100);
        assertThat(later.path("next").asText()).isEqualTo("99");
    }

    @Test
    @Order(2)
    void anEmergencyDuringAMassRotationDoesNotWaitBehindIt() {
        RunningDaemon.Answer created = daemon.post("/api/v1/agents", "{\"id\":\"urgent\",\"owner\":\"o@example.com\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        RunningDaemon.Answer c = daemon.post("/api/v1/credentials", "{\"id\":\"urgent-key\",\"agent\":\"urgent\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"urgent/key\"}]}");
        assertThat(c.status()).as(c.body()).isEqualTo(201);
        // A deep queue of due rotations first: the mass rotation of the test before.
        await("rotations queued").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> batch(fleetBatch).path("rotations").path("RUNNING").asInt() >= 200);

        long t0 = System.nanoTime();
        RunningDaemon.Answer revoke = daemon.task("/tasks/revoke?credential=urgent-key");
        assertThat(revoke.status()).as(revoke.body()).isEqualTo(200);
        long answeredMs = (System.nanoTime() - t0) / 1_000_000;
        String rotation = revoke.json().path("rotations").path(0).path("id").asText();
        await("the emergency's rotation").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                .until(() -> !daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText().equals("RUNNING"));
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        JsonNode crowd = batch(fleetBatch);
        long stillWaiting = crowd.path("rotations").path("RUNNING").asLong();
        System.out.printf("emergency during a mass rotation of %d: answered in %d ms, its rotation SUCCEEDED %d ms after "
                        + "the task, while %d of the mass rotations were running and %d credentials not reached yet "
                        + "(%d succeeded)%n", FLEET, answeredMs, tookMs, stillWaiting,
                crowd.path("counts").path("pending").asLong(), crowd.path("rotations").path("SUCCEEDED").asLong());
        assertThat(daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(stillWaiting).as("the emergency went ahead of the mass rotation's queue").isPositive();
        assertThat(daemon.awaitBatch(revoke).path("state").asText()).isEqualTo("DONE");
    }

    @Test
    @Order(3)
    void aBatchCutShortByAStopResumesAtTheNextStartWithoutStartingAnyRotationTwice() {
        List<String> ids = fleet("resumed", RESUMED);
        RunningDaemon.Answer a = daemon.task("/tasks/rotate?agent=resumed");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        String href = a.json().path("batch").path("href").asText();
        await("the batch under way").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> daemon.get(href).json().path("counts").path("started").asInt() > 0);
        daemon.close();
        daemon = null;
        startDaemon();
        JsonNode cut = daemon.get(href).json();
        System.out.printf("stopped with %d of %d credentials recorded; resumed at the start%n",
                cut.path("counts").path("total").asInt() - cut.path("counts").path("pending").asInt(), RESUMED);
        await("the resumed batch ends").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> !daemon.get(href).json().path("state").asText().equals("RUNNING"));
        JsonNode ended = daemon.get(href + "?limit=1000").json();
        assertThat(ended.path("state").asText()).as(ended.toString()).isEqualTo("DONE");
        assertThat(ended.path("counts").path("total").asInt()).isEqualTo(RESUMED);
        assertThat(ended.path("counts").path("started").asInt()).isEqualTo(RESUMED);
        String correlation = ended.path("correlationId").asText();
        Store store = daemon.runtime().store();
        for (String id : ids) {
            List<Rotation> mine = store.read(d -> d.rotations().ofCredential(id, 10)).stream()
                    .filter(r -> correlation.equals(r.correlationId())).toList();
            assertThat(mine).as("rotations of %s started by the batch", id).hasSize(1);
        }
    }

    @Test
    @Order(4)
    void aDecommissionOfThousandsOfCredentialsAnswersOnceTheyAreMarkedAndLeavesTheRevocationsToItsBatch() {
        long t0 = System.nanoTime();
        RunningDaemon.Answer a = daemon.task("/tasks/decommission?agent=fleet");
        long answeredMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(a.json().path("credentials")).hasSize(FLEET);
        // At the answer every credential is decommissioned, most of their versions not yet revoked at the targets.
        Store store = daemon.runtime().store();
        long active = store.read(d -> d.credentials().activeIdsOfAgent("fleet")).size();
        long revoked = store.read(d -> d.credentials().idsOfAgent("fleet").stream()
                .filter(id -> d.versions().ofCredential(id).stream().anyMatch(v -> v.state() == VersionState.REVOKED))
                .count());
        System.out.printf("decommission?agent= with %d credentials answered in %d ms; then %d active, %d with a "
                + "revoked version%n", FLEET, answeredMs, active, revoked);
        assertThat(active).isZero();
        assertThat(daemon.get("/api/v1/agents/fleet").json().path("status").asText()).isEqualTo("decommissioned");
    }
}
