package dev.rotakey.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.crash.CrashFleet.Cred;
import dev.rotakey.crash.CrashFleet.Step;
import dev.rotakey.testing.DaemonProcess;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kills a real daemon process with SIGKILL at every step of rotations — create, deliver (between two
 * targets), verify (between two targets), promote, revoke (after grace or in an emergency) —
 * {@code rotakey.crash.iterations} times each (default 20; 3 credentials per kill), on the shipped config with embedded H2, and
 * checks the invariants while it is down and after it restarts: nothing lost or duplicated, no orphan
 * key objects, the CURRENT version working at every target, and every interrupted rotation finishing.
 *
 * <p>Each start freezes one set of credentials at all five steps at once (fail points armed by
 * credential prefix) while the other set's interrupted rotations resume unarmed: one JVM per kill round.
 */
// A process of its own per daemon, its own token, data directory and Redis users: it shares nothing with other classes,
// so it runs beside them (see the failsafe configuration).
@Execution(ExecutionMode.CONCURRENT)
class CrashAtEveryStepIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ITERATIONS = Integer.getInteger("rotakey.crash.iterations", 20);
    /**
     * Another H2 URL than the shipped one ({@code ${dataDir}} stands for the data directory), e.g. with
     * {@code ;WRITE_DELAY=0} to tell the workflow's violations from H2's lost commits. Unset: the shipped URL.
     */
    private static final String DATABASE_URL = System.getProperty("rotakey.crash.databaseUrl");

    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private final CrashFleet fleet = new CrashFleet(run);
    /** Rotation ids the daemon answered, to find again after every crash. */
    private final Set<String> answered = new LinkedHashSet<>();

    @Test
    void everyStepSurvivesSigkill() throws Exception {
        Path base = Path.of("target", "crash", run).toAbsolutePath();
        Path dataDir = base.resolve("data");
        CrashToken token = CrashToken.create(base.resolve("softhsm"), dataDir);
        Path hookKey = Files.writeString(base.resolve("hook.key"), "crash-test-webhook-signing-key-0123456789abcdef");
        List<String> violations = new ArrayList<>();
        // The probe opens the daemon's database itself while the daemon is down.
        String url = DATABASE_URL == null ? "jdbc:h2:file:" + dataDir.resolve("rotakey") + ";LOCK_TIMEOUT=10000"
                : DATABASE_URL.replace("${dataDir}", dataDir.toString());
        try (WebhookLedger ledger = new WebhookLedger();
             DaemonProcess daemon = new DaemonProcess(Path.of("config/rotakey.yml"), dataDir,
                     overrides(ledger, hookKey, url), Map.of("SOFTHSM2_CONF", token.conf().toString()))) {
            InvariantProbe probe = new InvariantProbe(fleet, run, ledger, dataDir.resolve("delivered"));
            daemon.start("");
            createFleet(daemon);
            long started = System.nanoTime();
            try {
                crashRounds(daemon, token, probe, url);
            } catch (StuckRotations e) {
                violations.add(e.getMessage() + ": the remaining rounds were not run");
            }
            violations.addAll(probe.violations());
            System.out.printf("crash test: %d kill rounds (%d rotations frozen at each of 5 steps per round) in %d s%n",
                    ITERATIONS, 3, (System.nanoTime() - started) / 1_000_000_000L);
        } finally {
            for (Cred c : fleet.all()) {
                if (c.type().equals("password")) {
                    InvariantProbe.redisCli("ACL", "DELUSER", c.redisUser(run));
                }
            }
        }
        violations.forEach(v -> System.out.println("VIOLATION " + v));
        assertThat(violations).as("invariant violations (data dir %s)", dataDir).isEmpty();
    }

    /** Fast retries, threads for every frozen rotation, and the two probe-able targets; the database only if asked. */
    private static Map<String, String> overrides(WebhookLedger ledger, Path hookKey, String url) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("scheduler.threads", "40");
        o.put("scheduler.misfireThreshold", "PT0.5S");
        o.put("rotation.retry.initialBackoff", "PT0.05S");
        o.put("rotation.retry.maxBackoff", "PT0.2S");
        o.put("targets.crash-hook.type", "webhook");
        o.put("targets.crash-hook.url", ledger.url());
        o.put("targets.crash-hook.allowHttp", "true");
        o.put("targets.crash-hook.secret.file", hookKey.toString());
        o.put("targets.crash-redis.type", "redis-acl");
        o.put("targets.crash-redis.host", "127.0.0.1");
        if (DATABASE_URL != null) {
            o.put("database.url", url);
        }
        return o;
    }

    /** The kill rounds, then a final start that lets everything finish and one more that sweeps. */
    private void crashRounds(DaemonProcess daemon, CrashToken token, InvariantProbe probe, String url) {
        for (int i = 0; i < ITERATIONS; i++) {
            String set = CrashFleet.SETS.get(i % 2);
            String other = CrashFleet.SETS.get((i + 1) % 2);
            int k = i / 2;
            if (i > 0) {
                daemon.start(fleet.failPoints(set, k));
            } else {
                // Gracefully: the fleet's set-up is not what this test is about.
                daemon.stop();
                daemon.start(fleet.failPoints(set, k));
            }
            String when = "round " + i + " (set " + set + ", kill " + k + ")";
            long t0 = System.nanoTime();
            settle(daemon, other, probe, when + " after restart");
            long t1 = System.nanoTime();
            triggerArmed(daemon, set, k, probe);
            daemon.awaitFailPoints(fleet.expectedAnnouncements(set, k), Duration.ofSeconds(90));
            long t2 = System.nanoTime();
            daemon.kill();
            probe.whileDown(when + " while down at " + describe(k), StoredState.read(url, "rotakey"), token.labels(),
                    answered, false);
            System.out.printf("%s: settled in %d ms, frozen in %d ms, probed in %d ms%n", when,
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
        }
        daemon.start("");
        for (String set : CrashFleet.SETS) {
            settle(daemon, set, probe, "final start");
        }
        daemon.kill();
        probe.whileDown("final, down", StoredState.read(url, "rotakey"), token.labels(), answered, false);
        // Once more, with nothing in flight: every start sweeps what no record accounts for.
        daemon.start("");
        daemon.kill();
        probe.whileDown("final restart, down", StoredState.read(url, "rotakey"), token.labels(), answered, true);
    }

    private static String describe(int k) {
        List<String> points = new ArrayList<>();
        for (Step s : Step.values()) {
            points.add(s.point(k) + (s.emergency(k) ? " (emergency)" : ""));
        }
        return String.join(", ", points);
    }

    private void createFleet(DaemonProcess daemon) {
        for (String set : CrashFleet.SETS) {
            for (String agent : fleet.agents(set)) {
                expect(daemon.post("/api/v1/agents", fleet.agentJson(agent)), 201);
            }
        }
        for (Cred c : fleet.all()) {
            expect(daemon.post("/api/v1/credentials", fleet.credentialJson(c)), 201);
        }
    }

    /**
     * Waits for every answered rotation to end (I3: the interrupted ones must succeed), rotates {@code set}
     * once more (I3: the next rotation succeeds), waits for its due revocations, then checks the settled state.
     */
    private void settle(DaemonProcess daemon, String set, InvariantProbe probe, String when) {
        awaitRotations(daemon, answered, when, probe);
        List<String> again = new ArrayList<>();
        for (String agent : fleet.agents(set)) {
            again.addAll(rotationIds(daemon, expect(daemon.task("/tasks/rotate?agent=" + agent), 200)));
        }
        answered.addAll(again);
        awaitRotations(daemon, again, when + ", next rotation", probe);
        await(when + ": superseded versions of set " + set + " revoked").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).until(() -> fleet.of(set).stream().noneMatch(c ->
                        daemon.get("/api/v1/credentials/" + c.id()).body().contains("\"PREVIOUS\"")));
        probe.settled(when, daemon);
    }

    /** Waits until none of {@code ids} runs; a rotation that ended otherwise than SUCCEEDED is an I3 violation, a lost one I6. */
    private void awaitRotations(DaemonProcess daemon, java.util.Collection<String> ids, String when, InvariantProbe probe) {
        try {
            await(when + ": rotations end").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() ->
                    !rotationStates(daemon, ids).containsValue("RUNNING"));
        } catch (ConditionTimeoutException e) {
            rotationStates(daemon, ids).forEach((id, state) -> {
                if (state.equals("RUNNING")) {
                    probe.violation(when, "I3: rotation " + id + " still RUNNING after 90 s: "
                            + daemon.get("/api/v1/rotations/" + id).body());
                }
            });
            throw new StuckRotations(when);
        }
        Map<String, String> states = rotationStates(daemon, ids);
        for (String id : List.copyOf(ids)) {
            String state = states.get(id);
            if (state.equals("LOST")) {
                probe.violation(when, "I6/lost: rotation " + id + ", answered by a task, is gone after the restart");
                ids.remove(id);
            } else if (!state.equals("SUCCEEDED")) {
                probe.violation(when, "I3: rotation " + id + " ended " + state + ": "
                        + daemon.get("/api/v1/rotations/" + id).body());
            }
        }
    }

    /** Rotations that do not end: the rounds stop there and the violations so far are reported. */
    private static final class StuckRotations extends RuntimeException {
        StuckRotations(String when) {
            super(when + ": rotations stuck");
        }
    }

    private static String rotationState(DaemonProcess daemon, String id) {
        DaemonProcess.Answer a = daemon.get("/api/v1/rotations/" + id);
        return a.status() == 404 ? "LOST" : json(a.body()).path("state").asText();
    }

    /**
     * The state of each of {@code ids} (LOST: the daemon does not know it), read from the rotation lists of the
     * fleet's 30 credentials: the answered rotations grow to hundreds over the rounds, and asking for each one
     * on its own, several times a second, was most of this test's time. An id no list shows is asked for alone.
     */
    private Map<String, String> rotationStates(DaemonProcess daemon, java.util.Collection<String> ids) {
        Map<String, String> listed = new java.util.HashMap<>();
        for (Cred c : fleet.all()) {
            DaemonProcess.Answer a = daemon.get("/api/v1/credentials/" + c.id() + "/rotations?limit=1000");
            assertThat(a.status()).as(a.body()).isEqualTo(200);
            for (JsonNode r : json(a.body()).path("rotations")) {
                listed.put(r.path("id").asText(), r.path("state").asText());
            }
        }
        Map<String, String> states = new LinkedHashMap<>();
        for (String id : ids) {
            states.put(id, listed.containsKey(id) ? listed.get(id) : rotationState(daemon, id));
        }
        return states;
    }

    /** Starts the rotations that will freeze at the armed fail points. */
    private void triggerArmed(DaemonProcess daemon, String set, int k, InvariantProbe probe) {
        for (Step step : Step.values()) {
            String agent = step.id() + "-" + set;
            if (step.emergency(k)) {
                for (Cred c : fleet.of(set).stream().filter(c -> c.step() == step).toList()) {
                    JsonNode cred = json(daemon.get("/api/v1/credentials/" + c.id()).body());
                    for (JsonNode v : cred.path("versions")) {
                        if (v.path("state").asText().equals("CURRENT")) {
                            probe.expectEmergency(c.id(), v.path("version").asInt());
                        }
                    }
                    answered.addAll(rotationIds(expect(daemon.task("/tasks/revoke?credential=" + c.id()), 200)));
                }
            } else {
                answered.addAll(rotationIds(daemon, expect(daemon.task("/tasks/rotate?agent=" + agent), 200)));
            }
        }
    }

    /**
     * The rotations an agent's rotate task started: it answers with its batch at once, and the batch starts them in
     * the background, so they are read from the batch once it has ended.
     */
    private static List<String> rotationIds(DaemonProcess daemon, String body) {
        String batch = json(body).path("batch").path("href").asText();
        await("batch " + batch).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() ->
                !json(daemon.get(batch).body()).path("state").asText().equals("RUNNING"));
        return rotationIds(daemon.get(batch + "?limit=1000").body());
    }

    private static List<String> rotationIds(String body) {
        List<String> ids = new ArrayList<>();
        json(body).findValues("href").forEach(h -> {
            String href = h.asText();
            if (href.startsWith("/api/v1/rotations/")) {
                ids.add(href.substring("/api/v1/rotations/".length()));
            }
        });
        assertThat(ids).as("rotation ids in %s", body).isNotEmpty();
        return ids;
    }

    private static String expect(DaemonProcess.Answer a, int status) {
        assertThat(a.status()).as(a.body()).isEqualTo(status);
        return a.body();
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }
}
