package dev.rotakey.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rotakey.alert.AlertCondition;
import dev.rotakey.alert.AlertSeverity;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped Prometheus rules: promtool accepts them and their unit tests pass, every built-in alert
 * condition has a rule of the same name and severity, and every rule carries what operators need.
 */
class PrometheusRulesTest {
    static final Path RULES = Path.of("config/prometheus/rotakey-rules.yml");
    static final Path RULE_TESTS = Path.of("config/prometheus/rotakey-rules.test.yml");
    private static final Pattern METRIC = Pattern.compile("rotakey_[a-z_]+");

    /** promtool's exit code and output (standard output and error together). */
    record Run(int exitCode, String output) {
    }

    static Run promtool(String input, String... args) {
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

    static JsonNode rules() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
    }

    /** Every {@code rotakey_*} metric name the rules' expressions use. */
    static Set<String> metricNames() throws IOException {
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

    @Test
    void promtoolAcceptsTheRules() {
        Run run = promtool(null, "check", "rules", RULES.toString());
        assertThat(run.exitCode()).as(run.output()).isZero();
    }

    @Test
    void theRulesUnitTestsPass() {
        Run run = promtool(null, "test", "rules", RULE_TESTS.toString());
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("SUCCESS");
    }

    @Test
    void everyBuiltInConditionHasARuleOfTheSameNameAndSeverity() throws IOException {
        Map<String, Set<String>> severities = new LinkedHashMap<>();
        for (JsonNode group : rules().path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                severities.computeIfAbsent(rule.path("alert").asText(), k -> new LinkedHashSet<>())
                        .add(rule.path("labels").path("severity").asText());
            }
        }
        for (AlertCondition c : AlertCondition.values()) {
            assertThat(severities).as(c.alertName()).containsEntry(c.alertName(), Set.of(c.severity().wireName()));
        }
        assertThat(severities).containsKeys("RotakeyDown", "RotakeySchedulerPaused", "RotakeyAlertDeliveryFailing");
    }

    @Test
    void everyRuleHasASeveritySummaryDescriptionRunbookAndUnitTests() throws IOException {
        String tests = java.nio.file.Files.readString(RULE_TESTS);
        Set<String> severities = Set.of(AlertSeverity.CRITICAL.wireName(), AlertSeverity.WARNING.wireName(),
                AlertSeverity.INFO.wireName());
        for (JsonNode group : rules().path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.path("alert").asText();
                assertThat(rule.path("labels").path("severity").asText()).as(name).isIn(severities);
                assertThat(rule.path("annotations").path("summary").asText()).as(name).isNotBlank();
                assertThat(rule.path("annotations").path("description").asText()).as(name).isNotBlank();
                assertThat(rule.path("annotations").path("runbook").asText()).as(name).endsWith("#alerts");
                // Each rule is tested firing (expected alerts) and not firing (an empty list) by promtool.
                assertThat(tests).as(name).contains("alertname: " + name);
            }
        }
        assertThat(tests).contains("exp_alerts: []");
    }

    @Test
    void theRulesUseOnlyRotakeysOwnMetricNamesAndUp() throws IOException {
        assertThat(metricNames()).contains("rotakey_credentials_failed", "rotakey_revocations_failed",
                "rotakey_credentials_overdue", "rotakey_key_backend_up", "rotakey_api_key_verifications_total",
                "rotakey_scheduler_paused", "rotakey_alert_notifications_total");
    }
}
