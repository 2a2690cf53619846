package dev.rotakey.faults;

import com.fasterxml.jackson.databind.JsonNode;
import org.awaitility.core.ConditionTimeoutException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.awaitility.Awaitility.await;

/**
 * Runs one sequence of {@link Op}s against the {@link FaultWorld}: each step, then a wait until no rotation of
 * the sequence's credentials is running, then the invariants; at the end every fault is cleared and the
 * "eventually" invariants (I3, I4) and the full I1 are checked. Stops at the first violation.
 */
final class SequenceRun {
    private final FaultWorld world;
    private final String prefix;
    private final Map<Integer, ModelCredential> creds = new LinkedHashMap<>();
    private final InvariantChecker checker;
    /** Peers that were faulty at some moment since the last check: their targets may lag behind. */
    private final Set<Peer> disturbed = EnumSet.noneOf(Peer.class);
    private final List<String> log = new ArrayList<>();

    SequenceRun(FaultWorld world, String prefix) {
        this.world = world;
        this.prefix = prefix;
        this.checker = new InvariantChecker(world);
    }

    /** The first violation of the sequence, if any. */
    Optional<Violation> run(List<Op> ops) {
        try {
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                disturbed.addAll(world.activeFaults().keySet());
                try (var t = Timings.start("op " + op.getClass().getSimpleName())) {
                    execute(op, i);
                }
                disturbed.addAll(world.activeFaults().keySet());
                try (var t = Timings.start("settle after step")) {
                    settle(i);
                }
                try (var t = Timings.start("checkStep")) {
                    checker.checkStep(i, creds.values(), disturbed);
                }
                disturbed.clear();
                disturbed.addAll(world.activeFaults().keySet());
            }
            try (var t = Timings.start("healed: heal+settle")) {
                world.healAll();
                world.daemon.task("/tasks/resume-rotations");
                settle(-1);
            }
            try (var t = Timings.start("checkHealed")) {
                checker.checkHealed(creds.values());
            }
            return Optional.empty();
        } catch (Violation.Found f) {
            return Optional.of(f.violation);
        } finally {
            try (var t = Timings.start("finally: heal+settle")) {
                world.healAll();
                world.daemon.task("/tasks/resume-rotations");
                settleQuietly();
            }
        }
    }

    /** What the steps answered, for the report of a failing sequence. */
    List<String> log() {
        return List.copyOf(log);
    }

    private void execute(Op op, int step) {
        FaultDaemon d = world.daemon;
        if (op instanceof Op.Create o) {
            create(o, step);
        } else if (op instanceof Op.Rotate o) {
            ifCreated(o.c(), m -> note(step, op, d.task("/tasks/rotate?credential=" + m.id())));
        } else if (op instanceof Op.Revoke o) {
            ifCreated(o.c(), m -> {
                FaultDaemon.Answer a = d.task("/tasks/revoke?credential=" + m.id());
                note(step, op, a);
                awaitBatch(step, op, a);
            });
        } else if (op instanceof Op.Decommission o) {
            ifCreated(o.c(), m -> {
                FaultDaemon.Answer a = d.task("/tasks/decommission?agent=" + m.agent);
                note(step, op, a);
                if (a.status() == 200) {
                    m.decommissioned = true;
                }
                awaitBatch(step, op, a);
            });
        } else if (op instanceof Op.Ack o) {
            ifCreated(o.c(), m -> {
                List<Integer> current = m.inState("CURRENT");
                if (m.acknowledged && !current.isEmpty()) {
                    note(step, op, d.post("/api/v1/credentials/" + m.id() + "/versions/" + current.get(0) + "/ack",
                            "{\"consumer\":\"app\"}"));
                }
            });
        } else if (op instanceof Op.Pause o) {
            note(step, op, d.task(o.pause() ? "/tasks/pause-rotations" : "/tasks/resume-rotations"));
        } else if (op instanceof Op.RotateCa) {
            note(step, op, d.task("/tasks/rotate-ca?ca=agents-ca"));
        } else if (op instanceof Op.Restart) {
            d.restart();
            log.add(step + " " + op + " -> restarted");
        } else if (op instanceof Op.Fault o) {
            world.inject(o.peer(), o.fault(), o.connections());
        } else if (op instanceof Op.Heal) {
            world.healAll();
        }
    }

    private void create(Op.Create o, int step) {
        if (creds.containsKey(o.c())) {
            return;
        }
        FaultDaemon d = world.daemon;
        ModelCredential m = new ModelCredential(o.c(), o.kind(), o.acknowledged(), o.longGrace(), prefix);
        note(step, o, d.post("/api/v1/agents", "{\"id\":\"" + m.agent + "\",\"owner\":\"faults@example.com\"}"));
        FaultDaemon.Answer b = d.post("/api/v1/credentials", m.createBody());
        note(step, o, b);
        if (b.status() == 201 || d.get("/api/v1/credentials/" + m.id()).status() == 200) {
            creds.put(o.c(), m);
        }
    }

    private void ifCreated(int c, java.util.function.Consumer<ModelCredential> action) {
        ModelCredential m = creds.get(c);
        if (m != null && !m.decommissioned) {
            action.accept(m);
        }
    }

    private void note(int step, Op op, FaultDaemon.Answer a) {
        log.add(step + " " + op + " -> " + a.status() + " " + (a.body().length() > 300 ? a.body().substring(0, 300) : a.body()));
        // 503 is the documented answer while a key backend is down (and until it is tried again, within 2 s of
        // recovering); with every peer healthy no 5xx is right.
        boolean backendDown = !world.activeFaults().isEmpty() || world.backendRecentlyFaulty(Duration.ofSeconds(3));
        if (a.status() >= 500 && !(a.status() == 503 && backendDown)) {
            throw new Violation.Found(new Violation("API", step, op + " answered " + a.status() + ": " + a.body()));
        }
    }

    /**
     * The revoke and decommission tasks answer before their batch has removed what they revoked from the targets:
     * the step is over when the batch has ended (its removals done, or failed and recorded for retry).
     */
    private void awaitBatch(int step, Op op, FaultDaemon.Answer a) {
        if (a.status() != 200) {
            return;
        }
        String batch = a.json().path("batch").path("href").asText();
        try {
            await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20)).until(() ->
                    !world.daemon.get(batch).json().path("state").asText().equals("RUNNING"));
        } catch (ConditionTimeoutException e) {
            throw new Violation.Found(new Violation("API", step, op + ": its batch still RUNNING after 60 s: "
                    + world.daemon.get(batch).body()));
        }
    }

    /** Waits until no rotation of this sequence's credentials is running, then reads their versions. */
    private void settle(int step) {
        try {
            await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20)).until(this::quiet);
        } catch (ConditionTimeoutException e) {
            throw new Violation.Found(new Violation("I2", step, "a rotation was still RUNNING after 60 s: " + running()));
        }
        for (ModelCredential m : creds.values()) {
            FaultDaemon.Answer a = world.daemon.get("/api/v1/credentials/" + m.id());
            if (a.status() == 200) {
                m.read(a.json());
            }
        }
    }

    private void settleQuietly() {
        try {
            await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20)).until(this::quiet);
        } catch (ConditionTimeoutException e) {
            // reported by the run already, or the daemon is wedged: the next sequence uses fresh credentials
        }
    }

    private boolean quiet() {
        return running().isEmpty();
    }

    private List<String> running() {
        List<String> out = new ArrayList<>();
        for (ModelCredential m : creds.values()) {
            FaultDaemon.Answer a = world.daemon.get("/api/v1/credentials/" + m.id() + "/rotations?limit=5");
            if (a.status() != 200) {
                continue;
            }
            for (JsonNode r : a.json().path("rotations")) {
                if (r.path("state").asText().equals("RUNNING")) {
                    out.add(m.id() + " v" + r.path("version").asInt() + " at " + r.path("step").asText());
                }
            }
        }
        return out;
    }
}
