package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.testing.Commands.Run;
import dev.rotakey.testing.Commands;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code rotakeyctl}'s commands that change things, run with python3 against the real daemon on H2: agents and
 * credentials created from flags and from YAML and JSON files (one, a list, standard input) and changed; bearer tokens
 * issued, listed, rotated and revoked (the issued token works, the revoked one is refused); a CA rotated; a version
 * acknowledged with its own key and with the token; keys verified; the audit chain checked and exported; the config
 * file read. What the targets hold is checked, not only what Rotakey says. The credential change, retirement and import
 * tests are written to the API contract and skipped where the daemon does not have those endpoints yet.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RotakeyctlManageEndToEndIT {
    private static final Path SCRIPT = Path.of("scripts/rotakeyctl").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static RunningDaemon daemon;
    /** Everything every run printed, checked at the end for the admin token and every secret the tests handed in. */
    static final List<String> OUTPUTS = Collections.synchronizedList(new ArrayList<>());
    static final List<String> SECRETS = Collections.synchronizedList(new ArrayList<>());


    @BeforeAll
    static void start() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("ctlm"));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            String token = daemon.token();
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
            assertThat(OUTPUTS).isNotEmpty().noneMatch(o -> o.contains(token));
            for (String secret : SECRETS) {
                assertThat(OUTPUTS).noneMatch(o -> o.contains(secret));
            }
        }
    }

    /** The daemon's URLs and admin token file, and no config file of the host's. */
    private static Map<String, String> connection() {
        Map<String, String> env = new HashMap<>();
        env.put("ROTAKEY_URL", daemon.app("").toString());
        env.put("ROTAKEY_ADMIN_URL", daemon.admin("").toString());
        env.put("ROTAKEY_TOKEN_FILE", daemon.dataDir().resolve("admin-token").toString());
        env.put("ROTAKEYCTL_CONF", "/dev/null");
        return env;
    }

    /** Runs the script with {@code stdin} on its standard input (null: none), {@code env} replacing the connection's. */
    private static Run ctl(String stdin, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("python3", SCRIPT.toString()));
        command.addAll(List.of(args));
        Run run = Commands.run(command, env, stdin, dir, Duration.ofSeconds(90));
        OUTPUTS.add(run.out() + run.err());
        return run;
    }

    private static Run ctl(String... args) throws IOException, InterruptedException {
        return ctl(null, connection(), args);
    }

    private static Run ok(String... args) throws IOException, InterruptedException {
        Run r = ctl(args);
        assertThat(r.exit()).as("rotakeyctl %s\n%s", String.join(" ", args), r).isZero();
        assertThat(r.err()).as(r.toString()).isEmpty();
        return r;
    }

    private static Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private static JsonNode get(String path) {
        RunningDaemon.Answer a = daemon.get(path);
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return a.json();
    }

    @Test
    @Order(1)
    void agentsFromFlagsAndFilesAndTheirChanges() throws Exception {
        Run created = ok("agents", "create", "mg-agent", "--owner", "team-a@example.com", "--attr", "env=prod",
                "--attr", "tier=1", "--description", "the billing bot", "--attest-every", "P90D");
        assertThat(created.out()).contains("Agent mg-agent created: owner team-a@example.com, persistent");
        JsonNode agent = get("/api/v1/agents/mg-agent");
        assertThat(agent.get("attributes").get("env").asText()).isEqualTo("prod");
        assertThat(agent.get("description").asText()).isEqualTo("the billing bot");
        assertThat(agent.get("attestation").get("every").asText()).isEqualTo("P90D");

        Path yaml = file("agent.yaml", """
                # an ephemeral agent, as an operator keeps it in git
                id: mg-ephemeral
                owner: team-a@example.com
                kind: ephemeral
                expiresAt: "2099-01-01T00:00:00Z"
                attributes:
                  purpose: batch-job
                """);
        assertThat(ok("agents", "create", "-f", yaml.toString()).out()).contains("Agent mg-ephemeral created")
                .contains("ephemeral, expires 2099-01-01T00:00:00Z");
        assertThat(get("/api/v1/agents/mg-ephemeral").get("attributes").get("purpose").asText()).isEqualTo("batch-job");
        Run fromStdin = ctl("{\"id\": \"mg-stdin\", \"owner\": \"team-c@example.com\"}", connection(),
                "agents", "create", "-f", "-");
        assertThat(fromStdin.exit()).as(fromStdin.toString()).isZero();
        assertThat(get("/api/v1/agents/mg-stdin").get("owner").asText()).isEqualTo("team-c@example.com");

        Run changed = ok("agents", "change", "mg-agent", "--attr", "env=staging", "--remove-attr", "tier",
                "--description", "the billing bot, v2");
        assertThat(changed.out()).contains("Agent mg-agent changed");
        agent = get("/api/v1/agents/mg-agent");
        assertThat(agent.get("attributes").toString()).isEqualTo("{\"env\":\"staging\"}");
        assertThat(agent.get("description").asText()).isEqualTo("the billing bot, v2");

        Run transfer = ok("agents", "change", "mg-agent", "--owner", "team-b@example.com");
        assertThat(transfer.out()).contains("Ownership transfer to team-b@example.com started")
                .contains("the owner stays team-a@example.com");
        assertThat(get("/api/v1/agents/mg-agent").get("owner").asText()).isEqualTo("team-a@example.com");
        ok("agents", "change", "mg-agent", "--owner", "team-a@example.com");   // cancels the transfer

        Run missingOwner = ctl("agents", "create", "mg-nobody");
        assertThat(missingOwner.exit()).isEqualTo(2);
        assertThat(missingOwner.err()).contains("--owner");
        Run refused = ctl("agents", "create", "mg-bad", "--owner", "team-a@example.com", "--kind", "ephemeral");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).contains("HTTP 422").contains("expiresAt").doesNotContain("Traceback");
        Run badAttr = ctl("agents", "change", "mg-agent", "--attr", "novalue");
        assertThat(badAttr.exit()).isEqualTo(2);
        assertThat(badAttr.err()).contains("--attr takes KEY=VALUE");
        Run badYaml = ctl("agents", "create", "-f", file("broken.yaml", "id: [unclosed\n").toString());
        assertThat(badYaml.exit()).isEqualTo(2);
        assertThat(badYaml.err()).contains("broken.yaml").contains("line");
    }

    @Test
    @Order(2)
    void credentialsFromFlagsFromAFileAndAList() throws Exception {
        Run created = ok("credentials", "create", "mg-api", "--agent", "mg-agent", "--type", "api-key", "--backend", "hsm",
                "--target", "local-files,path=mg/api", "--every", "P7D", "--grace", "PT1H", "--scope", "payments:read");
        assertThat(created.out()).contains("Credential mg-api created for agent mg-agent: api-key, version 1 CURRENT");
        assertThat(daemon.delivered("mg/api")).startsWith("rk_");
        JsonNode c = get("/api/v1/credentials/mg-api");
        assertThat(c.get("rotation").get("every").asText()).isEqualTo("P7D");
        assertThat(c.get("scopes").get(0).asText()).isEqualTo("payments:read");

        Path json = file("password.json", """
                {"id": "mg-password", "agent": "mg-agent", "type": "password", "backend": "hsm",
                 "targets": [{"target": "local-files", "path": "mg/password"}]}
                """);
        // A flag completes the file: the length is given on the command line.
        assertThat(ok("credentials", "create", "-f", json.toString(), "--length", "24").out())
                .contains("Credential mg-password created");
        assertThat(daemon.delivered("mg/password").strip()).hasSize(24);

        Path list = file("fleet.yaml", """
                credentials:
                  - id: mg-fleet-1
                    agent: mg-agent
                    type: api-key
                    backend: hsm
                    targets: [{target: local-files, path: mg/fleet-1}]
                  - id: mg-fleet-2
                    agent: mg-agent
                    type: api-key
                    backend: hsm
                    targets: [{target: local-files, path: mg/fleet-2}]
                """);
        Run batch = ok("credentials", "create", "-f", list.toString());
        assertThat(batch.out()).containsPattern("(?m)^mg-fleet-1 +1 +CURRENT ").containsPattern("(?m)^mg-fleet-2 +1 +CURRENT ")
                .contains("2 credential(s) created");
        assertThat(daemon.delivered("mg/fleet-1")).startsWith("rk_").isNotEqualTo(daemon.delivered("mg/fleet-2"));

        Run clash = ctl("credentials", "create", "mg-clash", "--agent", "mg-agent", "--type", "api-key", "--backend", "hsm",
                "--target", "local-files,path=../escape");
        assertThat(clash.exit()).as(clash.toString()).isEqualTo(1);
        assertThat(clash.err()).contains("HTTP 422").contains("targets[0].path");
        Run incomplete = ctl("credentials", "create", "mg-x", "--agent", "mg-agent");
        assertThat(incomplete.exit()).isEqualTo(2);
        assertThat(incomplete.err()).contains("needs type, backend");
        assertThat(ok("credentials", "--agent", "mg-agent").out()).contains("mg-api").contains("mg-fleet-2");
        assertThat(JSON.readTree(ok("credentials", "show", "mg-api", "--json").out()).get("id").asText()).isEqualTo("mg-api");
    }

    @Test
    @Order(3)
    void verifyReadsTheKeyFromAFileOrStandardInputAndExitsByValidity() throws Exception {
        String key = daemon.delivered("mg/api").strip();
        SECRETS.add(key);
        Path keyFile = file("mg-api.key", key + "\n");
        Run valid = ok("verify", "--key-file", keyFile.toString());
        assertThat(valid.out()).contains("valid: credential mg-api version 1 (CURRENT) of agent mg-agent")
                .contains("scopes payments:read");
        assertThat(ok("verify", "--key-file", keyFile.toString(), "--require-scope", "payments:read").out())
                .startsWith("valid:");
        Run missingScope = ctl("verify", "--key-file", keyFile.toString(), "--require-scope", "payments:write");
        assertThat(missingScope.exit()).isEqualTo(1);
        assertThat(missingScope.out()).contains("invalid: scope").contains("payments:write");
        String forged = "rk_" + "A".repeat(40);
        Run unknown = ctl(forged + "\n", connection(), "verify");
        assertThat(unknown.exit()).as(unknown.toString()).isEqualTo(1);
        assertThat(unknown.out()).startsWith("invalid: ");
        assertThat(JSON.readTree(ctl(key, connection(), "verify", "--json").out()).get("valid").asBoolean()).isTrue();
        Run noKey = ctl("", connection(), "verify");
        assertThat(noKey.exit()).isEqualTo(2);
        assertThat(noKey.err()).contains("empty");
    }

    @Test
    @Order(4)
    void tokensAreIssuedListedRotatedAndRevoked() throws Exception {
        Run issued = ctl("tokens", "issue", "mg-verifier", "--role", "verifier", "--expires", "P30D");
        assertThat(issued.exit()).as(issued.toString()).isZero();
        String token = issued.out().strip();
        assertThat(token).doesNotContain("\n").isNotEmpty();
        assertThat(issued.err()).contains("Token mg-verifier issued (role verifier, expires ").contains("only this once")
                .doesNotContain(token);

        Path keyFile = dir.resolve("mg-api.key");
        Map<String, String> asVerifier = connection();
        asVerifier.put("ROTAKEY_TOKEN_FILE", "");
        asVerifier.put("ROTAKEY_TOKEN", token);
        Run verified = ctl(null, asVerifier, "verify", "--key-file", keyFile.toString());
        assertThat(verified.exit()).as(verified.toString()).isZero();
        Run forbidden = ctl(null, asVerifier, "tokens");
        assertThat(forbidden.exit()).isEqualTo(3);
        assertThat(forbidden.err()).contains("HTTP 403");

        Run list = ok("tokens");
        assertThat(list.out()).containsPattern("(?m)^mg-verifier +verifier +- +yes ");
        JsonNode listed = JSON.readTree(ok("tokens", "list", "--json").out());
        assertThat(listed.toString()).contains("mg-verifier").doesNotContain(token);

        Path out = dir.resolve("rotated.token");
        Run rotated = ok("tokens", "rotate", "mg-verifier", "--grace", "PT0S", "--out", out.toString());
        assertThat(rotated.out()).contains("Token mg-verifier rotated: written to " + out + " (mode 0600)");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-------");
        String second = Files.readString(out).strip();
        SECRETS.add(second);
        assertThat(second).isNotEqualTo(token);
        asVerifier.put("ROTAKEY_TOKEN", second);
        assertThat(ctl(null, asVerifier, "verify", "--key-file", keyFile.toString()).exit()).isZero();

        assertThat(ok("tokens", "revoke", "mg-verifier").out()).contains("Token mg-verifier revoked");
        Run refused = ctl(null, asVerifier, "verify", "--key-file", keyFile.toString());
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(3);
        assertThat(refused.err()).contains("authentication refused").contains("HTTP 401");
        assertThat(ok("tokens").out()).containsPattern("(?m)^mg-verifier +verifier +- +no ");

        Run badRole = ctl("tokens", "issue", "mg-x", "--role", "root");
        assertThat(badRole.exit()).isEqualTo(2);
        // The issued secret was on one standard output, the issue's, and nowhere else.
        assertThat(OUTPUTS.stream().filter(o -> o.contains(token)).count()).isEqualTo(1);
    }

    @Test
    @Order(5)
    void aCaIsRotated() throws Exception {
        assertThat(ok("ca", "agents-ca").out()).contains("CA agents-ca").containsPattern("(?m)^1 +ACTIVE ");
        Run rotated = ok("rotate-ca", "agents-ca");
        assertThat(rotated.out()).containsPattern("(?m)^2 +ACTIVE ").containsPattern("(?m)^1 +RETIRING ");
        JsonNode ca = get("/api/v1/cas/agents-ca");
        assertThat(ca.get("generations").get(0).get("state").asText()).isEqualTo("ACTIVE");
        assertThat(ca.get("generations").get(0).get("generation").asInt()).isEqualTo(2);
        Run unknown = ctl("rotate-ca", "no-such-ca");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("no-such-ca");
    }

    @Test
    @Order(6)
    void consumersAcknowledgeWithTheVersionsKeyOrTheToken() throws Exception {
        ok("credentials", "create", "mg-acked", "--agent", "mg-agent", "--type", "api-key", "--backend", "hsm",
                "--target", "local-files,path=mg/acked", "--every", "P7D", "--grace", "PT1S",
                "--revoke-when", "acknowledged", "--consumer", "web", "--consumer", "worker", "--max-grace", "PT1H");
        assertThat(ok("rotate", "--credential", "mg-acked", "--wait").out()).contains("SUCCEEDED, version 2");
        String key2 = daemon.delivered("mg/acked").strip();
        SECRETS.add(key2);
        Path keyFile = file("acked.key", key2);

        Run web = ok("ack", "mg-acked", "2", "--consumer", "web", "--key-file", keyFile.toString());
        assertThat(web.out()).contains("Version 2 of mg-acked acknowledged by consumer web").contains("(consumer:web)");
        Run wrongKey = ctl("ack", "mg-acked", "1", "--consumer", "web", "--key-file", keyFile.toString());
        assertThat(wrongKey.exit()).isEqualTo(3);
        assertThat(wrongKey.err()).contains("not the secret of this version");
        Run worker = ok("ack", "mg-acked", "2", "--consumer", "worker");
        assertThat(worker.out()).contains("acknowledged by consumer worker").contains("(token:");
        await().atMost(Duration.ofSeconds(20)).until(() ->
                get("/api/v1/credentials/mg-acked").get("versions").toString().contains("\"state\":\"REVOKED\""));
    }

    @Test
    @Order(7)
    void theAuditChainIsCheckedAndExported() throws Exception {
        assertThat(ok("audit", "verify").out()).startsWith("Audit chain intact: ");
        Path export = dir.resolve("audit.jsonl");
        Run exported = ctl("audit", "export", "--from", "1", "--to", "5", "--out", export.toString());
        assertThat(exported.exit()).as(exported.toString()).isZero();
        assertThat(exported.err()).containsPattern("\\d+ events written to " + java.util.regex.Pattern.quote(export.toString()));
        // The export's own lines: the keys to check signatures with, the events, the signed checkpoints. The range
        // runs on to the first checkpoint at or after its end, so that its last event is signed too.
        List<Integer> seqs = new ArrayList<>();
        boolean keys = false;
        for (String line : Files.readAllLines(export)) {
            JsonNode node = JSON.readTree(line);
            keys |= node.has("keys");
            if (node.has("seq")) {
                seqs.add(node.get("seq").asInt());
            }
        }
        assertThat(keys).isTrue();
        assertThat(seqs).startsWith(1, 2, 3, 4, 5);
        assertThat(exported.err()).startsWith(seqs.size() + " events written");
        List<String> fromTwo = ok("audit", "export", "--from", "2", "--to", "3").out().lines()
                .filter(l -> l.startsWith("{\"seq\"")).toList();
        assertThat(fromTwo.get(0)).startsWith("{\"seq\":2,");
        assertThat(ok("audit", "--subject", "agent:mg-agent", "--tail", "50").out()).contains("agent.changed");
    }

    @Test
    @Order(8)
    void theConfigFileGivesTheUrlsAndTheTokenWithoutFlags() throws Exception {
        Path conf = file("rotakeyctl.conf", "# a host's settings\n[rotakey]\nurl = " + daemon.app("")
                + "\nadmin_url = " + daemon.admin("") + "\ntoken_file = " + daemon.dataDir().resolve("admin-token")
                + "\ntimeout = 20\n");
        Map<String, String> none = Map.of();
        Run byFlag = ctl(null, none, "--config", conf.toString(), "status");
        assertThat(byFlag.exit()).as(byFlag.toString()).isZero();
        assertThat(byFlag.out()).contains("Rotakey at " + daemon.app("").toString().replaceAll("/$", ""));
        Run byEnv = ctl(null, Map.of("ROTAKEYCTL_CONF", conf.toString()), "agents");
        assertThat(byEnv.exit()).as(byEnv.toString()).isZero();
        assertThat(byEnv.out()).contains("mg-agent");

        // A flag or variable beats the file: here the file's URL is wrong and the variable is right.
        Path wrongUrl = file("wrong-url.conf", "[rotakey]\nurl = http://127.0.0.1:9\ntoken = not-the-token\n");
        Run overridden = ctl(null, Map.of("ROTAKEYCTL_CONF", wrongUrl.toString(), "ROTAKEY_URL", daemon.app("").toString(),
                "ROTAKEY_TOKEN_FILE", daemon.dataDir().resolve("admin-token").toString()), "agents");
        assertThat(overridden.exit()).as(overridden.toString()).isZero();
        Run fileOnly = ctl(null, Map.of("ROTAKEYCTL_CONF", wrongUrl.toString()), "agents");
        assertThat(fileOnly.exit()).isEqualTo(3);
        assertThat(fileOnly.err()).contains("cannot connect to http://127.0.0.1:9");

        // The shipped file parses; its URLs are replaced by the variables (its CA file is for https only).
        Map<String, String> shipped = connection();
        shipped.put("ROTAKEYCTL_CONF", Path.of("config/rotakeyctl.conf").toAbsolutePath().toString());
        assertThat(ctl(null, shipped, "agents").exit()).isZero();

        Path malformed = file("malformed.conf", "[rotakey]\nurl = http://127.0.0.1:8080\nthis is not a setting\n");
        Run bad = ctl(null, none, "--config", malformed.toString(), "status");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("rotakeyctl: config file " + malformed
                + ", line 3: not 'key = value': this is not a setting");
        Path typo = file("typo.conf", "[rotakey]\nurl = http://127.0.0.1:8080\nadmin-url = http://127.0.0.1:8081\n");
        Run unknownKey = ctl(null, Map.of("ROTAKEYCTL_CONF", typo.toString()), "status");
        assertThat(unknownKey.exit()).isEqualTo(2);
        assertThat(unknownKey.err()).contains(typo + ", line 3: unknown key 'admin-url'");
        Run absent = ctl(null, none, "--config", dir.resolve("absent.conf").toString(), "status");
        assertThat(absent.exit()).isEqualTo(2);
        assertThat(absent.err()).contains("absent.conf does not exist");
    }

    @Test
    @Order(9)
    void secretsNeverComeFromTheCommandLine() throws Exception {
        Run noSecret = ctl("credentials", "import", "mg-imported", "--agent", "mg-agent", "--type", "password",
                "--backend", "hsm", "--target", "local-files,path=mg/imported");
        assertThat(noSecret.exit()).isEqualTo(2);
        assertThat(noSecret.err()).contains("--secret-file").contains("--secret-stdin");
        Run retireUnconfirmed = ctl("credentials", "retire", "mg-fleet-2");
        assertThat(retireUnconfirmed.exit()).isEqualTo(2);
        assertThat(retireUnconfirmed.err()).contains("--yes").contains("not a terminal");
        assertThat(get("/api/v1/credentials/mg-fleet-2").get("status").asText()).isEqualTo("active");
    }

    // ------------------------------------------------------------------ endpoints merged from the credential-change work

    @Test
    @Order(10)
    void aCredentialIsChangedAndItsTargetsEdited() throws Exception {
        Run every = ok("credentials", "change", "mg-api", "--every", "P14D");
        assertThat(every.out()).contains("Credential mg-api changed: ").contains("No new material needed");
        assertThat(get("/api/v1/credentials/mg-api").get("rotation").get("every").asText()).isEqualTo("P14D");

        Run added = ok("credentials", "change", "mg-api", "--add-target", "local-files,path=mg/api-copy", "--wait");
        assertThat(added.out()).contains("New material needed").contains("SUCCEEDED");
        assertThat(get("/api/v1/credentials/mg-api").get("targets")).hasSize(2);
        String current = daemon.delivered("mg/api");
        assertThat(daemon.delivered("mg/api-copy")).isEqualTo(current);

        ok("credentials", "change", "mg-api", "--remove-target", "local-files:mg/api-copy", "--wait");
        assertThat(get("/api/v1/credentials/mg-api").get("targets")).hasSize(1);
        Run unbound = ctl("credentials", "change", "mg-api", "--remove-target", "local-files:mg/nowhere");
        assertThat(unbound.exit()).isEqualTo(2);
        assertThat(unbound.err()).contains("has no binding to local-files:mg/nowhere");
    }

    @Test
    @Order(11)
    void aCredentialIsRetiredAndItsKeyNoLongerVerifies() throws Exception {
        String key = daemon.delivered("mg/fleet-2").strip();
        SECRETS.add(key);
        Path keyFile = file("fleet-2.key", key);
        assertThat(ok("verify", "--key-file", keyFile.toString()).out()).startsWith("valid:");
        Run retired = ok("credentials", "retire", "mg-fleet-2", "--yes", "--wait");
        assertThat(retired.out()).contains("Credential mg-fleet-2 retired").contains("DONE");
        Run refused = ctl("verify", "--key-file", keyFile.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).startsWith("invalid: ");
        assertThat(dir.resolve("data/delivered/mg/fleet-2")).doesNotExist();
    }

    @Test
    @Order(12)
    void anExistingSecretIsImportedFromAFileOrStandardInput() throws Exception {
        String secret = "Imported-Pa55word-" + System.nanoTime();
        SECRETS.add(secret);
        Path secretFile = file("imported.secret", secret + "\n");
        // Import adopts a secret that is at its targets already: the file holds it before Rotakey knows it.
        holds("mg/imported", secret);
        Run imported = ok("credentials", "import", "mg-imported", "--agent", "mg-agent", "--type", "password",
                "--backend", "hsm", "--target", "local-files,path=mg/imported", "--secret-file", secretFile.toString());
        assertThat(imported.out()).contains("Credential mg-imported created");
        assertThat(daemon.delivered("mg/imported").strip()).isEqualTo(secret);

        String piped = "Piped-Pa55word-" + System.nanoTime();
        SECRETS.add(piped);
        holds("mg/imported-2", piped);
        Run fromStdin = ctl(piped + "\n", connection(), "credentials", "import", "mg-imported-2", "--agent", "mg-agent",
                "--type", "password", "--backend", "hsm", "--target", "local-files,path=mg/imported-2", "--secret-stdin");
        assertThat(fromStdin.exit()).as(fromStdin.toString()).isZero();
        assertThat(daemon.delivered("mg/imported-2").strip()).isEqualTo(piped);

        // A secret the target does not hold is refused, and nothing is stored.
        Path wrong = file("wrong.secret", "Not-What-The-File-Holds-" + System.nanoTime() + "\n");
        holds("mg/imported-3", "What-The-File-Holds-" + System.nanoTime());
        Run refused = ctl(null, connection(), "credentials", "import", "mg-imported-3", "--agent", "mg-agent",
                "--type", "password", "--backend", "hsm", "--target", "local-files,path=mg/imported-3",
                "--secret-file", wrong.toString());
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).contains("import.secret").doesNotContain("Not-What-The-File-Holds");
        assertThat(daemon.get("/api/v1/credentials/mg-imported-3").status()).isEqualTo(404);
    }

    /** Puts {@code secret} at the local-files target's {@code path} as Rotakey itself would have written it (raw: no newline). */
    private void holds(String path, String secret) throws java.io.IOException {
        Path f = daemon.dataDir().resolve("delivered").resolve(path);
        Files.createDirectories(f.getParent());
        Files.writeString(f, secret);
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
}
