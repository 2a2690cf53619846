package dev.rotakey.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.alert.AlertCondition;
import dev.rotakey.alert.AlertSeverity;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped Prometheus rules: promtool accepts them and their unit tests pass, every built-in alert
 * condition has a rule of the same name and severity, and every rule carries what operators need.
 */
class PrometheusRulesIT {
    @Test
    void promtoolAcceptsTheRules() {
        PrometheusRules.Run run = PrometheusRules.promtool(null, "check", "rules", PrometheusRules.RULES.toString());
        assertThat(run.exitCode()).as(run.output()).isZero();
    }

    @Test
    void theRulesUnitTestsPass() {
        PrometheusRules.Run run = PrometheusRules.promtool(null, "test", "rules", PrometheusRules.RULE_TESTS.toString());
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("SUCCESS");
    }

    @Test
    void everyBuiltInConditionHasARuleOfTheSameNameAndSeverity() throws IOException {
        Map<String, Set<String>> severities = new LinkedHashMap<>();
        for (JsonNode group : PrometheusRules.rules().path("groups")) {
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
        String tests = java.nio.file.Files.readString(PrometheusRules.RULE_TESTS);
        Set<String> severities = Set.of(AlertSeverity.CRITICAL.wireName(), AlertSeverity.WARNING.wireName(),
                AlertSeverity.INFO.wireName());
        for (JsonNode group : PrometheusRules.rules().path("groups")) {
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
        assertThat(PrometheusRules.metricNames()).contains("rotakey_credentials_failed", "rotakey_revocations_failed",
                "rotakey_credentials_overdue", "rotakey_key_backend_up", "rotakey_api_key_verifications_total",
                "rotakey_scheduler_paused", "rotakey_alert_notifications_total");
    }
}
