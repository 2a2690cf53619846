package dev.rotakey.dashboard;

import dev.rotakey.api.PlanView;
import dev.rotakey.db.PlanDao;
import io.dropwizard.views.common.View;
import io.dropwizard.views.mustache.MustacheViewRenderer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard's templates rendered by Dropwizard's Mustache renderer: every value HTML-escaped (ids, owners, errors,
 * details holding markup and quotes), no inline script or style for the Content-Security-Policy to refuse, links to
 * the credentials' pages, and the week's plan bucketed by UTC day from the API's hours.
 */
class DashboardPagesTest {
    private static final String EVIL = "<script>alert(\"x\")</script>'\"&<img src=x onerror=alert(1)>";
    private static final Instant NOW = Instant.parse("2026-12-07T10:30:00Z");
    private static final MustacheViewRenderer RENDERER = new MustacheViewRenderer();

    private static String render(View view) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RENDERER.render(view, Locale.ROOT, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void assertSafe(String html) {
        assertThat(html).doesNotContain("<script").doesNotContain("<img src=x").doesNotContain("<style")
                .doesNotContain(" style=").doesNotContain("onerror=alert(1)>").doesNotContain("javascript:");
        assertThat(html).contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&quot;&amp;&lt;img src&#61;x");
    }

    private static PlanView plan() {
        PlanDao.PlannedRotation rotation = new PlanDao.PlannedRotation(EVIL, EVIL, EVIL, "api-key", NOW.plusSeconds(7200));
        return new PlanView(NOW, NOW.plusSeconds(7 * 86400), "P7D", false,
                new PlanView.Section<>(0, List.of()), new PlanView.Section<>(0, List.of()),
                new PlanView.Section<>(5, List.of(rotation)), new PlanView.Section<>(1, List.of()),
                new PlanView.Section<>(0, List.of()),
                List.of(new PlanView.Hour(Instant.parse("2026-12-07T12:00:00Z"), 2, 1, 0),
                        new PlanView.Hour(Instant.parse("2026-12-07T23:00:00Z"), 1, 0, 0),
                        new PlanView.Hour(Instant.parse("2026-12-09T00:00:00Z"), 2, 0, 0)),
                false);
    }

    private static OverviewPage overview() {
        OverviewPage.Health health = new OverviewPage.Health(false, true, true, List.of(EVIL),
                List.of(new OverviewPage.Backend(EVIL, "pkcs11", false, EVIL)), 1, 1);
        OverviewPage.Recent recent = new OverviewPage.Recent(Charts.time(NOW), List.of(new OverviewPage.Count("FAILED", 1, "failed")),
                List.of(new OverviewPage.RotationRow("r-1", EVIL, CredentialPages.link(EVIL), "FAILED", "failed", "manual",
                        Charts.time(NOW), Charts.time(NOW), EVIL)), 3);
        return new OverviewPage(Charts.time(NOW), "/dashboard/assets/dashboard.css?v=1", "/dashboard/assets/favicon.svg?v=1",
                health, 3, Charts.bars(Map.of("active", 3L), k -> k), Charts.bars(Map.of(EVIL, 3L), k -> "type"),
                Charts.bars(Map.of(EVIL, 3L), k -> "owner"), EVIL, recent, Overview.plan(plan(), NOW),
                List.of(new OverviewPage.AlertRow(EVIL, "critical", EVIL, EVIL, Charts.time(NOW), EVIL, CredentialPages.link(EVIL))),
                List.of(new OverviewPage.Ca(EVIL, EVIL, EVIL, List.of(new OverviewPage.Generation(1, "ACTIVE", "t", "in 3 d",
                        true, 2, "4", "t", "1", "512 B")))));
    }

    @Test
    void theOverviewEscapesEveryValueAndHasNoInlineScriptOrStyle() throws Exception {
        String html = render(overview());
        assertSafe(html);
        assertThat(html).contains("<link rel=\"stylesheet\" href=\"/dashboard/assets/dashboard.css?v&#61;1\">")
                .contains("Fleet needs attention").contains("Rotations paused").contains("and 3 more");
        // The link to a credential's page encodes its id as one path segment, then escapes it for the attribute.
        assertThat(html).contains("href=\"/dashboard/credentials/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%27%22%26%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E\"");
    }

    @Test
    void aCredentialsPageAndTheNotFoundPageEscapeEveryValue() throws Exception {
        CredentialPage page = new CredentialPage("/c.css", "/i.svg", EVIL, "active",
                List.of(new CredentialPage.Fact("Owner", EVIL)), List.of(new CredentialPage.Binding(EVIL, EVIL)),
                List.of(new CredentialPage.Version(1, "CURRENT", "current", "t", "t", "t", "t", EVIL)),
                List.of(new CredentialPage.Rotation("r", "FAILED", "failed", "manual", EVIL, 2, "deliver", 3, "t", "t", EVIL)),
                List.of(new CredentialPage.Event(7, "t", EVIL, "rotation.failed", "failed", "failed", EVIL)), EVIL);
        String html = render(page);
        assertSafe(html);
        assertThat(html).contains("data-event=\"7\"");
        assertSafe(render(new NotFoundPage("/c.css", "/i.svg", "There is no credential '" + EVIL + "'.")));
    }

    @Test
    void thePlanIsBucketedByUtcDayFromTheApisHoursWithBarsScaledToTheBusiestDay() {
        OverviewPage.Plan p = Overview.plan(plan(), NOW);
        assertThat(p.days()).extracting(OverviewPage.Day::date).containsExactly("2026-12-07", "2026-12-08", "2026-12-09",
                "2026-12-10", "2026-12-11", "2026-12-12", "2026-12-13", "2026-12-14");
        assertThat(p.days()).extracting(OverviewPage.Day::total).containsExactly(4L, 0L, 2L, 0L, 0L, 0L, 0L, 0L);
        OverviewPage.Day busiest = p.days().get(0);
        assertThat(busiest.rotations()).isEqualTo(3);
        assertThat(busiest.revocations()).isEqualTo(1);
        // The busiest day's column is full height; the others in proportion, stacked from the axis.
        assertThat(busiest.rotationsHeight() + busiest.revocationsHeight()).isBetween(107, 109);
        assertThat(busiest.rotationsY() + busiest.rotationsHeight()).isEqualTo(130);
        assertThat(p.days().get(2).rotationsHeight()).isEqualTo(54);
        assertThat(p.days().get(1).rotationsHeight()).isZero();
        // Counts are the API's exact ones; only the first items are listed, with how many more there are.
        assertThat(p.rotations()).isEqualTo(5);
        assertThat(p.items()).hasSize(1);
        assertThat(p.more()).isEqualTo(5);
        assertThat(p.items().get(0).relative()).isEqualTo("in 2 h");
    }
}
