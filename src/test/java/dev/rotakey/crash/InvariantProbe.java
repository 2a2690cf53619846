package dev.rotakey.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.crash.CrashFleet.Cred;
import dev.rotakey.crash.StoredState.Version;
import dev.rotakey.testing.DaemonProcess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Checks the invariants of docs/design.md from outside the daemon — its database and key token while it
 * is down, its API once it has settled, and always what the targets hold — and collects every violation
 * (where, what) instead of stopping at the first, so that one run reports them all.
 */
final class InvariantProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> ORDER = List.of("PENDING", "CURRENT", "PREVIOUS", "REVOKED");
    private static final String HMAC_LABEL = "rotakey-hmac-v1";

    private final CrashFleet fleet;
    private final String run;
    private final WebhookLedger ledger;
    private final Path delivered;
    private final List<String> violations = new ArrayList<>();
    /** credential/vN to the state last seen: a later probe must never find it missing or in an earlier state. */
    private final Map<String, String> seen = new HashMap<>();
    /** credential/vN whose supersession was an emergency: revoked with reason EMERGENCY. */
    private final Set<String> emergencies = new HashSet<>();
    /** Unrecorded key objects at the last two probes: one may be in flight at a kill, and is swept at the start after its rotation ends. */
    private Set<String> orphansBefore = Set.of();
    private Set<String> orphansTwoBefore = Set.of();

    InvariantProbe(CrashFleet fleet, String run, WebhookLedger ledger, Path delivered) {
        this.fleet = fleet;
        this.run = run;
        this.ledger = ledger;
        this.delivered = delivered;
    }

    List<String> violations() {
        return List.copyOf(violations);
    }

    void expectEmergency(String credential, int version) {
        emergencies.add(credential + "/v" + version);
    }

    void violation(String when, String what) {
        violations.add(when + ": " + what);
    }

    /**
     * While the daemon is down: the database's versions and rotations, the token's objects, the targets.
     *
     * @param answered rotation ids the daemon answered before it was killed; lost ones are reported and taken out
     * @param final_   whether this is the last probe (no rotation may be in flight: every orphan is one)
     */
    void whileDown(String when, StoredState db, Map<String, Integer> tokenLabels, Set<String> answered, boolean final_) {
        Set<String> rotationIds = new HashSet<>();
        db.rotations().forEach(r -> rotationIds.add(r.id()));
        for (String id : answered) {
            if (!rotationIds.contains(id)) {
                violation(when, "I6/lost: rotation " + id + " was answered by the task but is not in the database");
            }
        }
        // Reported once: the restart cannot bring it back.
        answered.retainAll(rotationIds);
        for (Cred c : fleet.all()) {
            List<Version> versions = db.of(c.id());
            checkVersions(when, c, versions, db);
            Optional<Version> current = versions.stream().filter(v -> v.state().equals("CURRENT")).findFirst();
            boolean pending = versions.stream().anyMatch(v -> v.state().equals("PENDING"));
            current.ifPresent(v -> checkCurrentWorks(when, c, v, pending, tokenLabels));
            int max = versions.stream().mapToInt(Version::version).max().orElse(0);
            ledger.holdings().keySet().stream().filter(k -> k.startsWith(c.id() + "/v"))
                    .filter(k -> Integer.parseInt(k.substring(k.lastIndexOf('v') + 1)) > max)
                    .forEach(k -> violation(when, "I6: the webhook consumer holds " + k
                            + ", which the database has no record of (highest version " + max + ")"));
            for (Version v : versions) {
                if (v.state().equals("REVOKED") && emergencies.contains(c.id() + "/v" + v.version())
                        && !"EMERGENCY".equals(v.revokeReason())) {
                    violation(when, "emergency revocation of " + c.id() + "/v" + v.version() + " recorded with reason "
                            + v.revokeReason() + " (the crash lost the emergency)");
                }
            }
        }
        Set<String> accounted = db.accountedKeys();
        Set<String> orphans = new HashSet<>();
        for (Map.Entry<String, Integer> e : tokenLabels.entrySet()) {
            if (!e.getKey().equals(HMAC_LABEL) && !accounted.contains(e.getKey())) {
                orphans.add(e.getKey());
                if ((orphansBefore.contains(e.getKey()) && orphansTwoBefore.contains(e.getKey())) || final_) {
                    violation(when, "I5: key object " + e.getKey() + " (" + e.getValue() + " objects) is in the token and no "
                            + "version or CA generation accounts for it" + (final_ ? "" : ", for three crashes now"));
                }
            }
        }
        orphansTwoBefore = orphansBefore;
        orphansBefore = orphans;
        if (!tokenLabels.containsKey(HMAC_LABEL)) {
            violation(when, "I5: the HMAC key " + HMAC_LABEL + " is missing from the token");
        }
        for (String key : accounted) {
            if (!tokenLabels.containsKey(key)) {
                violation(when, "I5: key object " + key + " is recorded in the database but missing from the token");
            } else if (tokenLabels.get(key) != 2) {
                violation(when, "I5: key entry " + key + " has " + tokenLabels.get(key) + " objects, not a private key and its certificate");
            }
        }
    }

    private void checkVersions(String when, Cred c, List<Version> versions, StoredState db) {
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i).version() != i + 1) {
                violation(when, "I6: versions of " + c.id() + " are not contiguous: " + versions);
                break;
            }
        }
        long currents = versions.stream().filter(v -> v.state().equals("CURRENT")).count();
        if (currents != 1) {
            violation(when, "I1: " + c.id() + " has " + currents + " CURRENT versions: " + versions);
        }
        List<Version> pending = versions.stream().filter(v -> v.state().equals("PENDING")).toList();
        List<StoredState.RotationRow> running = db.rotationsOf(c.id()).stream().filter(r -> r.state().equals("RUNNING")).toList();
        if (pending.size() > 1 || running.size() > 1) {
            violation(when, "I2: " + c.id() + " has " + pending.size() + " PENDING versions and " + running.size()
                    + " RUNNING rotations");
        }
        for (Version p : pending) {
            if (running.stream().noneMatch(r -> r.version() == p.version())) {
                violation(when, "I2: " + c.id() + "/v" + p.version() + " is PENDING without a RUNNING rotation of it");
            }
        }
        for (Version v : versions) {
            noRegression(when, c.id() + "/v" + v.version(), v.state());
        }
        seen.keySet().stream().filter(k -> k.startsWith(c.id() + "/v"))
                .filter(k -> versions.stream().noneMatch(v -> k.equals(c.id() + "/v" + v.version())))
                .forEach(k -> violation(when, "lost: " + k + " (last seen " + seen.get(k) + ") is not in the database"));
    }

    private void noRegression(String when, String key, String state) {
        String before = seen.get(key);
        if (before != null && ORDER.contains(before) && ORDER.contains(state) && ORDER.indexOf(state) < ORDER.indexOf(before)) {
            violation(when, "lost update: " + key + " was " + before + ", now " + state);
        } else if (before != null && before.equals("FAILED") != state.equals("FAILED")) {
            violation(when, "lost update: " + key + " was " + before + ", now " + state);
        }
        seen.put(key, state);
    }

    /** I1: the CURRENT version works at every target bound to it. */
    private void checkCurrentWorks(String when, Cred c, Version current, boolean pending, Map<String, Integer> tokenLabels) {
        String key = c.id() + "/v" + current.version();
        Optional<String> held = ledger.held(c.id(), current.version());
        if (held.isEmpty()) {
            violation(when, "I1: the webhook consumer does not hold CURRENT " + key + " (it holds "
                    + ledger.holdings().keySet().stream().filter(k -> k.startsWith(c.id() + "/")).sorted().toList() + ")");
            return;
        }
        String file = read(delivered.resolve(c.file()));
        if (!pending && !held.get().equals(file)) {
            violation(when, "I1: the file of " + c.id() + " does not hold CURRENT v" + current.version()
                    + " and no version is pending (file " + (file == null ? "missing" : "holds other material") + ")");
        }
        if (c.type().equals("password") && !redisAccepts(c.redisUser(run), held.get())) {
            violation(when, "I1: Redis refuses CURRENT " + key + " for user " + c.redisUser(run));
        }
        if (c.type().equals("certificate") && (current.keyRef() == null || !tokenLabels.containsKey(current.keyRef()))) {
            violation(when, "I1/I5: the HSM key of CURRENT " + key + " (" + current.keyRef() + ") is not in the token");
        }
    }

    /** Once the daemon has settled (nothing running, due revocations done): what the API and the targets say. */
    void settled(String when, DaemonProcess daemon) {
        for (Cred c : fleet.all()) {
            JsonNode versions = json(daemon.get("/api/v1/credentials/" + c.id()).body()).path("versions");
            Integer current = null;
            for (JsonNode v : versions) {
                String state = v.path("state").asText();
                noRegression(when, c.id() + "/v" + v.path("version").asInt(), state);
                if (state.equals("CURRENT")) {
                    current = v.path("version").asInt();
                } else if (state.equals("PENDING")) {
                    violation(when, "I2: " + c.id() + "/v" + v.path("version").asInt() + " is PENDING after the rotations ended");
                }
                if ((state.equals("REVOKED") || state.equals("FAILED"))
                        && ledger.held(c.id(), v.path("version").asInt()).isPresent()) {
                    violation(when, "I4: the webhook consumer still holds " + state + " " + c.id() + "/v" + v.path("version").asInt());
                }
            }
            if (current == null) {
                violation(when, "I1: " + c.id() + " has no CURRENT version");
                continue;
            }
            String file = read(delivered.resolve(c.file()));
            Optional<String> held = ledger.held(c.id(), current);
            if (held.isEmpty() || !held.get().equals(file)) {
                violation(when, "I1: file and webhook consumer of " + c.id() + " do not both hold CURRENT v" + current);
            } else if (c.type().equals("api-key")) {
                JsonNode r = json(daemon.post("/api/v1/api-keys/verify", "{\"key\":\"" + file + "\"}").body());
                if (!r.path("valid").asBoolean() || r.path("version").asInt() != current) {
                    violation(when, "I1: the delivered key of " + c.id() + " does not verify as CURRENT v" + current + ": " + r);
                }
            } else if (c.type().equals("password") && !redisAccepts(c.redisUser(run), file)) {
                violation(when, "I1: Redis refuses the delivered CURRENT password of " + c.id());
            }
            if (c.type().equals("password")) {
                List<String> passwords = redisPasswords(c.redisUser(run));
                if (passwords.size() != 1) {
                    violation(when, "I6: Redis user " + c.redisUser(run) + " accepts " + passwords.size()
                            + " passwords, those of " + passwords.stream().map(h -> ledger.versionWithSha256(c.id(), h)).toList()
                            + ", and only CURRENT v" + current + " is left");
                }
            }
        }
    }

    /** AUTH through redis-cli, the real client: whether Redis accepts {@code password} for {@code user}. */
    static boolean redisAccepts(String user, String password) {
        // AUTH itself: the users Rotakey creates without rules may log in but not even PING.
        return redisCli("AUTH", user, password).trim().equals("OK");
    }

    /** The SHA-256 of each password {@code user} accepts, from {@code ACL GETUSER}. */
    static List<String> redisPasswords(String user) {
        List<String> lines = redisCli("ACL", "GETUSER", user).lines().map(String::trim).toList();
        int i = lines.indexOf("passwords");
        List<String> hashes = new ArrayList<>();
        for (int j = i + 1; i >= 0 && j < lines.size() && lines.get(j).matches("[0-9a-f]{64}"); j++) {
            hashes.add(lines.get(j));
        }
        return hashes;
    }

    static String redisCli(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", "6379", "--no-auth-warning"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }
}
