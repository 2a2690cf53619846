package dev.rotakey.crash;

import java.util.ArrayList;
import java.util.List;

/**
 * The credentials a crash run rotates: for each step where the daemon is killed and each of two sets
 * (one armed per daemon start while the other resumes), an agent with an API key, a password and an
 * HSM-held certificate, each bound to local files and a webhook consumer (the password to a Redis ACL
 * user too). Fail points are armed by credential prefix {@code <step>-<set>-}.
 */
final class CrashFleet {
    static final List<String> SETS = List.of("a", "b");

    /** A step of the workflow and the fail points that stop it, varied from one kill to the next. */
    enum Step {
        CREATE, DELIVER, VERIFY, PROMOTE, REVOKE;

        String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The fail point of the {@code k}-th kill of a set at this step. */
        String point(int k) {
            return switch (this) {
                case CREATE -> k % 2 == 0 ? "create.after-issue" : "create.after-commit";
                case DELIVER -> "deliver.between-targets";
                case VERIFY -> "verify.between-targets";
                case PROMOTE -> k % 2 == 0 ? "promote.before-commit" : "promote.after-commit";
                case REVOKE -> k % 4 < 2 ? "revoke.between-targets" : "revoke.before-mark";
            };
        }

        /** Revocations alternate between the end of the grace period and an operator's emergency. */
        boolean emergency(int k) {
            return this == REVOKE && k % 2 == 1;
        }
    }

    /** One credential of the fleet. */
    record Cred(String id, String agent, String type, Step step, String set) {
        String file() {
            return type.equals("certificate") ? id + "/cert.pem" : id + "/secret";
        }

        String redisUser(String run) {
            return "crash-" + run + "-" + id;
        }
    }

    private final String run;
    private final List<Cred> creds = new ArrayList<>();

    CrashFleet(String run) {
        this.run = run;
        for (Step step : Step.values()) {
            for (String set : SETS) {
                String agent = step.id() + "-" + set;
                for (String type : List.of("api-key", "password", "certificate")) {
                    creds.add(new Cred(agent + "-" + (type.equals("api-key") ? "key" : type.equals("password") ? "pw" : "cert"),
                            agent, type, step, set));
                }
            }
        }
    }

    List<Cred> all() {
        return creds;
    }

    List<Cred> of(String set) {
        return creds.stream().filter(c -> c.set().equals(set)).toList();
    }

    List<String> agents(String set) {
        return creds.stream().filter(c -> c.set().equals(set)).map(Cred::agent).distinct().toList();
    }

    /** The {@code -Drotakey.failpoints} spec for the {@code k}-th kill of {@code set}. */
    String failPoints(String set, int k) {
        List<String> spec = new ArrayList<>();
        for (Step step : Step.values()) {
            spec.add(step.point(k) + "@" + step.id() + "-" + set + "-");
        }
        return String.join(",", spec);
    }

    /** The announcements the {@code k}-th kill of {@code set} waits for: every credential of the set frozen at its step. */
    List<String> expectedAnnouncements(String set, int k) {
        return of(set).stream().map(c -> c.step().point(k) + " " + c.id()).toList();
    }

    String agentJson(String agent) {
        return "{\"id\":\"" + agent + "\",\"owner\":\"crash-tests@example.com\"}";
    }

    /** The body of {@code POST /api/v1/credentials} for {@code c}: grace of one second, so revocations come within a run. */
    String credentialJson(Cred c) {
        String targets = "{\"target\":\"local-files\",\"path\":\"" + c.id() + (c.type().equals("certificate") ? "" : "/secret") + "\"}"
                + (c.type().equals("password") ? ",{\"target\":\"crash-redis\",\"user\":\"" + c.redisUser(run) + "\"}" : "")
                + ",{\"target\":\"crash-hook\"}";
        String extra = c.type().equals("certificate")
                ? ",\"ca\":\"agents-ca\",\"keySpec\":\"EC_P256\",\"validity\":\"P30D\",\"keyCustody\":\"hsm\""
                : "";
        return "{\"id\":\"" + c.id() + "\",\"agent\":\"" + c.agent() + "\",\"type\":\"" + c.type() + "\",\"backend\":\"hsm\","
                + "\"rotation\":{\"every\":\"P10D\"},\"gracePeriod\":\"PT1S\",\"targets\":[" + targets + "]" + extra + "}";
    }
}
