package dev.rotakey.ops;

import dev.rotakey.testing.Commands;
import dev.rotakey.testing.Commands.Run;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * rotakeyctl's documentation cannot drift from its parser: every command and option that {@code rotakeyctl completion
 * json} reports (its own argparse tree) is in the man page's section for that command and in the shipped bash
 * completion, which is exactly what {@code rotakeyctl completion bash} prints; the man page renders without a
 * warning; the shipped config file derives its connection from the daemon's config, and its commented production values
 * are what rotakeyctl derives from config/production/rotakey.yml.
 */
class RotakeyctlDocsTest {
    private static final Path SCRIPT = Path.of("scripts/rotakeyctl");
    private static final Path MAN = Path.of("docs/man/rotakeyctl.1");
    private static final Path COMPLETION = Path.of("scripts/completion/rotakeyctl.bash");
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode tree;


    @BeforeAll
    static void readTheParser() throws Exception {
        Run r = run("python3", SCRIPT.toString(), "completion", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        tree = JSON.readTree(r.out());
        assertThat(tree.has("")).isTrue();
        assertThat(tree.get("").get("subcommands")).isNotEmpty();
    }

    private static Run run(String... command) throws IOException, InterruptedException {
        return Commands.run(List.of(command), Map.of(), null, null, Duration.ofSeconds(60));
    }

    /** The man page's text by section: OPTIONS for the global options, each {@code .SS} heading for its command. */
    private static Map<String, String> manSections() throws IOException {
        Map<String, String> sections = new LinkedHashMap<>();
        String current = null;
        StringBuilder text = new StringBuilder();
        for (String line : Files.readAllLines(MAN, StandardCharsets.UTF_8)) {
            String heading = line.startsWith(".SH ") || line.startsWith(".SS ")
                    ? unescape(line.substring(4)).replace("\"", "").trim() : null;
            if (heading != null) {
                if (current != null) {
                    sections.put(current, text.toString());
                }
                current = line.startsWith(".SH ") && heading.equals("OPTIONS") ? "" : heading;
                text.setLength(0);
            } else {
                text.append(unescape(line)).append('\n');
            }
        }
        sections.put(current, text.toString());
        return sections;
    }

    private static String unescape(String troff) {
        return troff.replace("\\-", "-").replaceAll("\\\\f[BIRP]", "").replace("\\e", "\\");
    }

    @Test
    void everyCommandAndOptionIsInTheManPage() throws IOException {
        Map<String, String> man = manSections();
        List<String> missing = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> command = it.next();
            String path = command.getKey();
            boolean hasActions = !command.getValue().get("subcommands").isEmpty() && !path.isEmpty();
            // A command with actions (agents, credentials, audit, tokens) may document its own options with its
            // default action: any section under its name counts.
            StringBuilder text = new StringBuilder();
            man.forEach((heading, body) -> {
                if (heading.equals(path) || hasActions && heading.startsWith(path + " ")) {
                    text.append(body);
                }
            });
            if (!man.containsKey(path) && !(hasActions && text.length() > 0)) {
                missing.add("no section for '" + path + "'");
                continue;
            }
            for (JsonNode option : command.getValue().get("options")) {
                for (JsonNode name : option.get("names")) {
                    String n = name.asText();
                    // --json after a command is documented once, with the global option.
                    boolean documentedOnce = n.equals("--json") && !path.isEmpty() && !path.equals("posture");
                    if (!documentedOnce && !text.toString().matches("(?s).*(?<![\\w-])" + java.util.regex.Pattern.quote(n)
                            + "(?![\\w-]).*")) {
                        missing.add("'" + path + "' option " + n);
                    }
                }
            }
        }
        assertThat(missing).as("in the parser but not in %s", MAN).isEmpty();
        assertThat(man.get("")).contains("--json").contains("after its name");
    }

    @Test
    void theShippedCompletionIsWhatTheParserGeneratesAndNamesEveryOption() throws Exception {
        Run generated = run("python3", SCRIPT.toString(), "completion", "bash");
        assertThat(generated.exit()).as(generated.err()).isZero();
        String shipped = Files.readString(COMPLETION, StandardCharsets.UTF_8);
        assertThat(shipped).as("regenerate it: scripts/rotakeyctl completion bash > %s", COMPLETION)
                .isEqualTo(generated.out());
        for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> command = it.next();
            for (JsonNode sub : command.getValue().get("subcommands")) {
                assertThat(shipped).contains(" " + sub.asText());
            }
            for (JsonNode option : command.getValue().get("options")) {
                option.get("names").forEach(n -> assertThat(shipped).contains(n.asText()));
            }
        }
        Run syntax = run("bash", "-n", COMPLETION.toString());
        assertThat(syntax.exit()).as(syntax.err()).isZero();
    }

    @Test
    void theManPageRendersWithoutWarnings() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/groff")), "groff is not installed (apt-get install groff-base)");
        Run lint = run("groff", "-man", "-ww", "-z", MAN.toString());
        assertThat(lint.exit()).isZero();
        assertThat(lint.err()).isEmpty();
    }

    @Test
    void theShippedConfigFileReachesThePortsOfTheProductionConfig() throws Exception {
        JsonNode production = new ObjectMapper(new YAMLFactory()).readTree(Path.of("config/production/rotakey.yml").toFile());
        JsonNode api = production.get("server").get("applicationConnectors").get(0);
        JsonNode admin = production.get("server").get("adminConnectors").get(0);
        Map<String, String> active = new LinkedHashMap<>();
        Map<String, String> commented = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("config/rotakeyctl.conf"), StandardCharsets.UTF_8)) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(# )?([a-z_]+) = (\\S+)$").matcher(line);
            if (m.matches()) {
                (m.group(1) == null ? active : commented).put(m.group(2), m.group(3));
            }
        }
        // The connection follows whichever daemon config is installed: nothing pins it to one example's ports.
        assertThat(active).doesNotContainKeys("url", "admin_url", "token_file", "server_config").containsKey("ca");
        String scheme = api.get("type").asText().startsWith("https") ? "https" : "http";
        assertThat(commented.get("url")).isEqualTo(scheme + "://127.0.0.1:" + api.get("port").asInt());
        assertThat(commented.get("admin_url")).isEqualTo("http://" + admin.get("bindHost").asText() + ":" + admin.get("port").asInt());
        assertThat(commented.get("token_file")).isEqualTo(production.get("auth").get("adminTokenFile").asText());
        assertThat(commented.get("server_config")).isEqualTo("/etc/rotakey/rotakey.yml");

        // And what rotakeyctl derives from the production config is what the comments show.
        Run derived = run("python3", SCRIPT.toString(), "--config", "config/rotakeyctl.conf",
                "--server-config", "config/production/rotakey.yml", "config", "--json");
        assertThat(derived.exit()).as(derived.err()).isZero();
        JsonNode settings = JSON.readTree(derived.out());
        assertThat(settings.get("url").get("value").asText()).isEqualTo(commented.get("url"));
        assertThat(settings.get("admin_url").get("value").asText()).isEqualTo(commented.get("admin_url"));
        assertThat(settings.get("token").get("value").asText()).startsWith(commented.get("token_file") + " or ");
    }
}
