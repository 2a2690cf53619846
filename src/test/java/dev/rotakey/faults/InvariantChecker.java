package dev.rotakey.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.targets.mariadb.MariaDbProbe;
import org.awaitility.core.ConditionTimeoutException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;

/**
 * Checks the invariants of docs/design.md against the targets themselves (through {@link TargetProbe}) and
 * against the API, and throws {@link Violation.Found} at the first one that does not hold.
 */
final class InvariantChecker {
    private final FaultWorld world;
    /** The secret each version had when it was first seen CURRENT ("credential/vN"): I6. */
    private final Map<String, String> promoted = new HashMap<>();

    InvariantChecker(FaultWorld world) {
        this.world = world;
    }

    /** After a step: I2 from the API, I1 at every binding whose peer stayed healthy through the step, I6. */
    void checkStep(int step, Collection<ModelCredential> creds, Set<Peer> disturbed) {
        for (ModelCredential m : creds) {
            checkStates(step, m);
            try (var t = Timings.start("check I1 current")) {
                checkCurrentWorks(step, m, disturbed);
            }
            try (var t = Timings.start("check grace previous")) {
                checkPreviousWorks(step, m, disturbed);
            }
            checkNoReuse(step, m);
        }
        try (var t = Timings.start("check I4 visible")) {
            checkRemovalFailuresVisible(step, creds);
        }
    }

    /**
     * I4's visibility: while material of a FAILED or REVOKED version is still at a target, the operators must be
     * able to see it: the credential in GET /api/v1/status (failed rotations or revocations) or a red health check.
     */
    private void checkRemovalFailuresVisible(int step, Collection<ModelCredential> creds) {
        AtomicReference<String> hidden = new AtomicReference<>();
        try {
            // A removal may still be under way right after the step: give it a moment to finish or to be reported.
            await().atMost(Duration.ofSeconds(3)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).until(() -> {
                hidden.set(hiddenLeftovers(creds));
                return hidden.get() == null;
            });
        } catch (ConditionTimeoutException e) {
            fail("I4", step, hidden.get());
        }
    }

    private String hiddenLeftovers(Collection<ModelCredential> creds) {
        String left = leftovers(creds, false);
        if (left == null) {
            return null;
        }
        String status = world.daemon.get("/api/v1/status").body();
        if (world.daemon.adminGet("/healthcheck").status() != 200) {
            return null;
        }
        for (ModelCredential m : creds) {
            if (left.contains(m.id() + " ") && !status.contains(m.id())) {
                return left + "; but neither GET /api/v1/status nor /healthcheck shows it: " + status;
            }
        }
        return null;
    }

    /** After every fault is cleared: I3 (a rotation succeeds), then I1 everywhere, I4 and I5 eventually. */
    void checkHealed(Collection<ModelCredential> creds) {
        for (ModelCredential m : creds) {
            if (!m.decommissioned) {
                try (var t = Timings.start("healed I3 rotation")) {
                    rotationSucceeds(m);
                }
            }
        }
        for (ModelCredential m : creds) {
            refresh(m);
            checkStates(-1, m);
            checkCurrentWorks(-1, m, Set.of());
            checkPreviousWorks(-1, m, Set.of());
            checkNoReuse(-1, m);
        }
        AtomicReference<String> left = new AtomicReference<>();
        try (var t = Timings.start("healed I4 leftovers")) {
            await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).until(() -> {
                left.set(leftovers(creds, true));
                return left.get() == null;
            });
        } catch (ConditionTimeoutException e) {
            throw new Violation.Found(new Violation("I4", -1, left.get() + " (10 s after every fault was cleared)"));
        }
        // A revocation destroys the key before it records REVOKED: a mismatch must last to count.
        AtomicReference<String> objects = new AtomicReference<>();
        try (var t = Timings.start("healed I5 hsm")) {
            await().atMost(Duration.ofSeconds(3)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100)).until(() -> {
                objects.set(HsmObjects.check(creds, this::refresh));
                return objects.get() == null;
            });
        } catch (ConditionTimeoutException e) {
            throw new Violation.Found(new Violation("I5", -1, objects.get()));
        }
    }

    private void checkStates(int step, ModelCredential m) {
        if (m.inState("CURRENT").size() > 1) {
            fail("I2", step, m.id() + " has several CURRENT versions " + m.states);
        }
        if (m.inState("PENDING").size() > 0) {
            // settle() waited for every running rotation to end: a PENDING version now has none.
            fail("I2", step, m.id() + " v" + m.inState("PENDING") + " PENDING with no rotation running " + m.states
                    + "; latest rotation: " + latestRotation(m).map(JsonNode::toString).orElse("none"));
        }
    }

    /** I1: the CURRENT version's secret works at every binding (the consumer included). */
    private void checkCurrentWorks(int step, ModelCredential m, Set<Peer> disturbed) {
        List<Integer> current = m.inState("CURRENT");
        if (current.isEmpty()) {
            return;
        }
        int v = current.get(0);
        Optional<String> secret = world.hook.lastDelivered(m.id(), v);
        if (secret.isEmpty()) {
            fail("I1", step, m.id() + " v" + v + " is CURRENT but never reached the consumer webhook " + m.states);
        }
        if (!disturbed.contains(Peer.HOOK) && !world.probe.hookHolds(m.names, v, secret.get())) {
            fail("I1", step, m.id() + " v" + v + " is CURRENT but the consumer webhook no longer holds it " + m.states);
        }
        // postgres-role and mariadb-user single: between delivery and promotion the role or account holds the new
        // password (documented), and after a failed rotation it keeps it (docs/targets.md); the exception ends with the
        // next promotion.
        boolean singleException = m.latest() > v;
        for (CredentialKind.Binding b : m.kind.bindings) {
            if (disturbed.contains(ModelCredential.peerOf(b)) || (isSingle(b) && singleException)) {
                continue;
            }
            if (!world.probe.works(m.kind, b, m.names, secret.get())) {
                fail("I1", step, m.id() + " v" + v + " is CURRENT but does not work at " + b + " " + m.states
                        + whatWorksInstead(m, b) + "; latest rotation: " + latestRotation(m).map(r -> r.path("state").asText() + " "
                        + r.path("lastError").asText()).orElse("none"));
            }
        }
    }

    /** For a report: which other delivered version's secret the binding accepts instead, if any. */
    private String whatWorksInstead(ModelCredential m, CredentialKind.Binding b) {
        List<String> instead = new ArrayList<>();
        for (int v : m.states.keySet()) {
            List<String> all = world.hook.allDelivered(m.id(), v);
            for (int i = 0; i < all.size(); i++) {
                if (world.probe.works(m.kind, b, m.names, all.get(i))) {
                    instead.add("v" + v + (all.size() > 1 ? " (delivery " + (i + 1) + " of " + all.size() + ")" : ""));
                }
            }
        }
        String role = "";
        if (b == CredentialKind.Binding.PG_SINGLE) {
            role = dev.rotakey.targets.postgres.PostgresProbe.exists(m.names.role())
                    ? (dev.rotakey.targets.postgres.PostgresProbe.canLogin(m.names.role()) ? " (role may log in)" : " (role NOLOGIN)")
                    : " (role missing)";
        }
        if (b == CredentialKind.Binding.MARIA_SINGLE) {
            role = MariaDbProbe.exists(m.names.mariaUser(), "%")
                    ? (MariaDbProbe.isLocked(m.names.mariaUser(), "%") ? " (account locked)" : " (account unlocked)")
                    : " (account missing)";
        }
        return (instead.isEmpty() ? "; no delivered version works there" : "; what works there instead: " + instead) + role;
    }

    /**
     * The grace period (docs/design.md): a PREVIOUS version keeps working until its revokeAfter at the targets that can
     * hold two versions at once (an alternating role pair, a Redis user). Only the newest PREVIOUS version: a
     * role pair cannot keep three versions working (a second rotation within the grace period; see the report).
     * Checked only well before revokeAfter, so that a revocation running on time is not mistaken for a failure.
     */
    private void checkPreviousWorks(int step, ModelCredential m, Set<Peer> disturbed) {
        java.time.Instant soon = java.time.Instant.now().plusSeconds(5);
        List<Integer> previous = m.inState("PREVIOUS");
        for (int v : previous.isEmpty() ? List.<Integer>of() : List.of(previous.get(previous.size() - 1))) {
            java.time.Instant due = m.revokeAfter.get(v);
            Optional<String> secret = world.hook.lastDelivered(m.id(), v);
            if (due == null || due.isBefore(soon) || secret.isEmpty()) {
                continue;
            }
            for (CredentialKind.Binding b : m.kind.bindings) {
                boolean twoSlots = b == CredentialKind.Binding.PG_ALTERNATING || b == CredentialKind.Binding.REDIS
                        || b == CredentialKind.Binding.MARIA_ALTERNATING;
                if (twoSlots && !disturbed.contains(ModelCredential.peerOf(b)) && !world.probe.works(m.kind, b, m.names, secret.get())) {
                    fail("GRACE", step, m.id() + " v" + v + " is PREVIOUS until " + due + " but no longer works at " + b
                            + " " + m.states);
                }
            }
        }
    }

    /** I6: a version's material never changes once it was promoted. */
    private void checkNoReuse(int step, ModelCredential m) {
        for (int v : m.inState("CURRENT")) {
            world.hook.lastDelivered(m.id(), v).ifPresent(s -> promoted.putIfAbsent(m.id() + "/v" + v, s));
        }
        for (Map.Entry<Integer, String> e : m.states.entrySet()) {
            String was = promoted.get(m.id() + "/v" + e.getKey());
            List<String> all = world.hook.allDelivered(m.id(), e.getKey());
            if (was != null && !all.isEmpty() && !all.get(all.size() - 1).equals(was)) {
                fail("I6", step, m.id() + " v" + e.getKey() + " was delivered again with other material after promotion");
            }
        }
        for (ConsumerHook.Held h : world.hook.heldOf(m.id())) {
            if (!m.states.containsKey(h.version())) {
                fail("I6", step, "the consumer holds " + h + ", which Rotakey has no record of " + m.states);
            }
        }
    }

    /** I3: once the faults are gone, an operator rotation runs and succeeds. */
    private void rotationSucceeds(ModelCredential m) {
        FaultDaemon.Answer a = world.daemon.task("/tasks/rotate?credential=" + m.id());
        if (a.status() != 200) {
            fail("I3", -1, m.id() + ": rotation after healing refused with " + a.status() + ": " + a.body() + " " + m.states);
        }
        String id = a.json().path("rotations").path(0).path("id").asText();
        AtomicReference<JsonNode> r = new AtomicReference<>();
        try {
            await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20)).until(() -> {
                r.set(world.daemon.get("/api/v1/rotations/" + id).json());
                return !r.get().path("state").asText().equals("RUNNING");
            });
        } catch (ConditionTimeoutException e) {
            fail("I3", -1, m.id() + ": rotation after healing still RUNNING after 30 s: " + r.get());
        }
        if (!r.get().path("state").asText().equals("SUCCEEDED")) {
            fail("I3", -1, m.id() + ": rotation after healing " + r.get().path("state").asText() + " at "
                    + r.get().path("step").asText() + ": " + r.get().path("lastError").asText() + " " + m.states);
        }
    }

    /** I4: what a FAILED or REVOKED version left anywhere, or null when nothing. */
    private String leftovers(Collection<ModelCredential> creds, boolean includeSingleRoles) {
        List<String> out = new ArrayList<>();
        for (ModelCredential m : creds) {
            refresh(m);
            for (Map.Entry<Integer, String> e : m.states.entrySet()) {
                if (!e.getValue().equals("FAILED") && !e.getValue().equals("REVOKED")) {
                    continue;
                }
                int v = e.getKey();
                for (String secret : world.hook.allDelivered(m.id(), v)) {
                    if (world.probe.hookHolds(m.names, v, secret)) {
                        out.add(m.id() + " v" + v + " " + e.getValue() + " still held by the consumer webhook");
                    }
                    for (CredentialKind.Binding b : m.kind.bindings) {
                        // A single role or account keeps a failed rotation's password until the next one (documented).
                        if (isSingle(b) && !includeSingleRoles) {
                            continue;
                        }
                        if (world.probe.stillHolds(m.kind, b, m.names, secret)) {
                            out.add(m.id() + " v" + v + " " + e.getValue() + " still works at " + b);
                        }
                    }
                }
            }
        }
        return out.isEmpty() ? null : String.join("; ", out);
    }

    /** A binding whose one password changes at delivery: the documented exception to I1 and I4. */
    private static boolean isSingle(CredentialKind.Binding b) {
        return b == CredentialKind.Binding.PG_SINGLE || b == CredentialKind.Binding.MARIA_SINGLE;
    }

    private void refresh(ModelCredential m) {
        FaultDaemon.Answer a = world.daemon.get("/api/v1/credentials/" + m.id());
        if (a.status() == 200) {
            m.read(a.json());
        }
    }

    private Optional<JsonNode> latestRotation(ModelCredential m) {
        FaultDaemon.Answer a = world.daemon.get("/api/v1/credentials/" + m.id() + "/rotations?limit=1");
        return a.status() == 200 && a.json().path("rotations").size() > 0
                ? Optional.of(a.json().path("rotations").get(0)) : Optional.empty();
    }

    private static void fail(String invariant, int step, String detail) {
        throw new Violation.Found(new Violation(invariant, step, detail));
    }
}
