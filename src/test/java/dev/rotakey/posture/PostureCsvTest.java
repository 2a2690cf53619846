package dev.rotakey.posture;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The posture report's CSV: a header, RFC 4180 quoting, and no value a spreadsheet would run as a formula. */
class PostureCsvTest {
    @Test
    void quotesWhatNeedsQuotingAndNeutralisesFormulas() {
        assertThat(PostureCsv.field("plain")).isEqualTo("plain");
        assertThat(PostureCsv.field("a,b")).isEqualTo("\"a,b\"");
        assertThat(PostureCsv.field("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
        assertThat(PostureCsv.field("=HYPERLINK(\"x\")")).isEqualTo("\"'=HYPERLINK(\"\"x\"\")\"");
        assertThat(PostureCsv.field("+1")).isEqualTo("'+1");
        assertThat(PostureCsv.field("-1")).isEqualTo("'-1");
        assertThat(PostureCsv.field("@SUM(A1)")).isEqualTo("'@SUM(A1)");
        assertThat(PostureCsv.field("line\nbreak")).isEqualTo("\"line\nbreak\"");
    }

    @Test
    void oneRowPerFindingUnderAHeader() {
        Finding f = new Finding(FindingKind.ROTATION_OVERDUE, Severity.HIGH, "=evil", "team@example.com", "c1", null,
                "credential:c1", "rotation due, since 2025", "rotakeyctl rotate --credential c1 --wait",
                "/api/v1/audit?subject=credential%3Ac1", Instant.parse("2025-06-01T00:00:00Z"));
        PostureReport report = new PostureReport(Instant.EPOCH, 99, new PostureReport.Counts(1, 1, 1, Map.of(), Map.of(),
                Map.of()), List.of(f), Map.of());
        assertThat(PostureCsv.render(report).split("\r\n")).containsExactly(
                "severity,kind,agent,owner,credential,version,subject,summary,remedy,audit,since",
                "high,rotation-overdue,'=evil,team@example.com,c1,,credential:c1,\"rotation due, since 2025\","
                        + "rotakeyctl rotate --credential c1 --wait,/api/v1/audit?subject=credential%3Ac1,2025-06-01T00:00:00Z");
    }

    @Test
    void theScoreIsOneHundredOnlyWithoutFindings() {
        Finding low = new Finding(FindingKind.UNUSED, Severity.LOW, "a", "o", "c", null, "credential:c", "s", "r", "l", null);
        Finding critical = new Finding(FindingKind.REVOCATION_FAILED, Severity.CRITICAL, "a", "o", "c", 1,
                "credential:c/v1", "s", "r", "l", null);
        assertThat(PostureReports.score(List.of(), 0)).isEqualTo(100);
        assertThat(PostureReports.score(List.of(low), 10_000)).isEqualTo(99);
        assertThat(PostureReports.score(List.of(critical), 1)).isZero();
        assertThat(PostureReports.score(List.of(critical, critical), 1)).isZero();
        assertThat(PostureReports.score(List.of(critical), 4)).isEqualTo(75);
    }
}
