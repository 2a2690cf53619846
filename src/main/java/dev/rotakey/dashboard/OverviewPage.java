package dev.rotakey.dashboard;

import io.dropwizard.views.common.View;

import java.util.List;

/**
 * The overview page's model ({@code overview.mustache}): fleet health, credentials by state, type and owner, the last
 * day's rotations (FAILED first), the coming week's plan by day, firing alerts and the CAs. Every value is text or a
 * number already computed; the template only lays it out, and Mustache escapes all of it.
 */
public final class OverviewPage extends View {
    /** Whether the fleet is healthy, and if not why; the pause switch, the scheduler, backends and nodes. */
    public record Health(boolean healthy, boolean paused, boolean schedulerRunning, List<String> problems,
                         List<Backend> backends, int nodes, int healthyNodes) {
        public boolean hasProblems() {
            return !problems.isEmpty();
        }
    }

    /** A key backend's health. */
    public record Backend(String name, String type, boolean healthy, String message) {
    }

    /** One count with a label, for the small tables. */
    public record Count(String label, long count, String kind) {
    }

    /** A rotation listed on the overview. */
    public record RotationRow(String id, String credential, String link, String state, String kind, String trigger,
                              String started, String finished, String error) {
    }

    /** The rotations of the last day: counts by state, the first of them, and how many more. */
    public record Recent(String since, List<Count> counts, List<RotationRow> rows, long more) {
        public boolean hasRows() {
            return !rows.isEmpty();
        }

        public boolean hasMore() {
            return more > 0;
        }
    }

    /** One day of the plan, with its column's geometry in the timeline's SVG (100 units a day, 0 at the top). */
    public record Day(String label, String date, long rotations, long revocations, long expiries, long total,
                      int x, int rotationsY, int rotationsHeight, int revocationsY, int revocationsHeight,
                      int expiriesY, int expiriesHeight, int labelX, int totalY) {
    }

    /** Something the plan holds: when, what, for which credential (linked) or agent. */
    public record PlanItem(String at, String relative, String kind, String credential, String link, String owner,
                           String detail) {
    }

    /** The coming week. */
    public record Plan(String within, boolean paused, List<Day> days, long overdue, long rotations, long revocations,
                       long expiries, List<PlanItem> items, long more) {
        public boolean hasItems() {
            return !items.isEmpty();
        }

        public boolean hasMore() {
            return more > 0;
        }

        public boolean hasOverdue() {
            return overdue > 0;
        }
    }

    /** A firing alert. */
    public record AlertRow(String alertname, String severity, String owner, String summary, String since,
                           String credential, String link) {
    }

    /** A CA generation with its expiry and CRL. */
    public record Generation(int generation, String state, String notAfter, String expiresIn, boolean expiringSoon,
                             long outstanding, String crlNumber, String crlNextUpdate, String crlRevoked,
                             String crlBytes) {
    }

    /** A certificate authority. */
    public record Ca(String name, String trustDomain, String parent, List<Generation> generations) {
    }

    private final String generatedAt;
    private final String css;
    private final String icon;
    private final Health health;
    private final long activeCredentials;
    private final List<Charts.Bar> states;
    private final List<Charts.Bar> types;
    private final List<Charts.Bar> owners;
    private final String ownersMore;
    private final Recent recent;
    private final Plan plan;
    private final List<AlertRow> alerts;
    private final List<Ca> cas;

    OverviewPage(String generatedAt, String css, String icon, Health health, long activeCredentials,
                 List<Charts.Bar> states, List<Charts.Bar> types, List<Charts.Bar> owners, String ownersMore,
                 Recent recent, Plan plan, List<AlertRow> alerts, List<Ca> cas) {
        super("overview.mustache");
        this.generatedAt = generatedAt;
        this.css = css;
        this.icon = icon;
        this.health = health;
        this.activeCredentials = activeCredentials;
        this.states = states;
        this.types = types;
        this.owners = owners;
        this.ownersMore = ownersMore;
        this.recent = recent;
        this.plan = plan;
        this.alerts = alerts;
        this.cas = cas;
    }

    public String title() {
        return "Fleet overview";
    }

    public String generatedAt() {
        return generatedAt;
    }

    public String css() {
        return css;
    }

    public String icon() {
        return icon;
    }

    public Health health() {
        return health;
    }

    public long activeCredentials() {
        return activeCredentials;
    }

    public List<Charts.Bar> states() {
        return states;
    }

    public List<Charts.Bar> types() {
        return types;
    }

    public List<Charts.Bar> owners() {
        return owners;
    }

    public String ownersMore() {
        return ownersMore;
    }

    public Recent recent() {
        return recent;
    }

    public Plan plan() {
        return plan;
    }

    public List<AlertRow> alerts() {
        return alerts;
    }

    public boolean hasAlerts() {
        return !alerts.isEmpty();
    }

    public List<Ca> cas() {
        return cas;
    }
}
