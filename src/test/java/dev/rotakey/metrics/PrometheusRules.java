package dev.rotakey.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The shipped Prometheus rules file for tests: parsed, its metric names, and the real promtool to check it with. */
public final class PrometheusRules {
    public static final Path RULES = Path.of("config/prometheus/rotakey-rules.yml");
    public static final Path RULE_TESTS = Path.of("config/prometheus/rotakey-rules.test.yml");
    private static final Pattern METRIC = Pattern.compile("rotakey_[a-z_]+");

    /** promtool's exit code and output (standard output and error together). */
    public record Run(int exitCode, String output) {
    }

    public static Run promtool(String input, String... args) {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("promtool is not installed (apt-get install prometheus): " + e.getMessage(), e);
        }
        try {
            try (var stdin = p.getOutputStream()) {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("promtool " + String.join(" ", args) + " did not finish in 60 s");
            }
            return new Run(p.exitValue(), out);
        } catch (IOException e) {
            throw new AssertionError("promtool " + String.join(" ", args) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public static JsonNode rules() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
    }

    /** Every {@code rotakey_*} metric name the rules' expressions use. */
    public static Set<String> metricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (JsonNode group : rules().path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                Matcher m = METRIC.matcher(rule.path("expr").asText());
                while (m.find()) {
                    names.add(m.group());
                }
            }
        }
        return names;
    }

    private PrometheusRules() {
    }
}
