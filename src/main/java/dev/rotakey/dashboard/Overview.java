package dev.rotakey.dashboard;

import dev.rotakey.api.AlertView;
import dev.rotakey.api.CertificateAuthorityView;
import dev.rotakey.api.FleetView;
import dev.rotakey.api.PlanView;
import dev.rotakey.api.RecentRotationsView;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.service.FleetQueries;
import dev.rotakey.service.OperatorQueries;
import dev.rotakey.service.RotationPlanner;
import dev.rotakey.service.StatusReport;
import org.bouncycastle.cert.X509CRLHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the overview page from the same services the API answers with — {@code GET /api/v1/status}, {@code /fleet},
 * {@code /rotations?since=PT24H}, {@code /plan?within=P7D}, {@code /alerts} and {@code /cas/{name}} — so that the
 * page and the API always show the same figures. Every list is bounded; every count comes from the database.
 */
final class Overview {
    private static final Logger LOG = LoggerFactory.getLogger(Overview.class);
    static final int OWNERS = 10;
    static final int ROTATIONS = 25;
    static final int PLAN_ITEMS = 15;
    static final String WITHIN = "P7D";
    private static final int CHART_TOP = 22;
    private static final int CHART_BASE = 130;

    private final StatusReport status;
    private final FleetQueries fleet;
    private final RotationPlanner planner;
    private final OperatorQueries queries;
    private final CertificateAuthorities authorities;
    private final DashboardAssets assets;
    private final Clock clock;

    Overview(StatusReport status, FleetQueries fleet, RotationPlanner planner, OperatorQueries queries,
             CertificateAuthorities authorities, DashboardAssets assets, Clock clock) {
        this.status = status;
        this.fleet = fleet;
        this.planner = planner;
        this.queries = queries;
        this.authorities = authorities;
        this.assets = assets;
        this.clock = clock;
    }

    OverviewPage page() {
        Instant now = clock.instant();
        Map<String, Object> s = status.status();
        FleetView f = fleet.fleet(OWNERS);
        RecentRotationsView recent = fleet.rotations("PT24H", null, ROTATIONS);
        List<AlertView> alerts = queries.firingAlerts();
        PlanView plan = planner.plan(WITHIN, PLAN_ITEMS);

        Map<String, Long> states = new LinkedHashMap<>();
        f.credentials().forEach((k, v) -> states.put(k.toLowerCase(java.util.Locale.ROOT), v));
        states.putIfAbsent("active", 0L);
        states.put("failing", f.failing());
        states.put("rotating", f.rotating());
        states.put("overdue", f.overdue());
        Map<String, Long> owners = new LinkedHashMap<>();
        f.owners().top().forEach(o -> owners.put(o.owner(), o.credentials()));
        String ownersMore = f.owners().moreOwners() == 0 ? null : "and " + f.owners().moreOwners()
                + " more owner" + (f.owners().moreOwners() == 1 ? "" : "s") + " with " + f.owners().moreCredentials()
                + " credential" + (f.owners().moreCredentials() == 1 ? "" : "s");

        return new OverviewPage(Charts.time(now), assets.url("dashboard.css"), assets.url("favicon.svg"),
                health(s, f, alerts), f.credentials().getOrDefault("ACTIVE", 0L),
                Charts.bars(states, k -> k), Charts.bars(f.activeByType(), k -> "type"),
                Charts.bars(owners, k -> "owner"), ownersMore, recent(recent), plan(plan, now),
                alerts.stream().map(Overview::alert).toList(), cas(now));
    }

    @SuppressWarnings("unchecked")
    private static OverviewPage.Health health(Map<String, Object> s, FleetView f, List<AlertView> alerts) {
        boolean paused = Boolean.TRUE.equals(s.get("paused"));
        boolean running = Boolean.TRUE.equals(s.get("schedulerRunning"));
        List<OverviewPage.Backend> backends = new ArrayList<>();
        ((Map<String, Map<String, Object>>) s.getOrDefault("keyBackends", Map.of())).forEach((name, b) ->
                backends.add(new OverviewPage.Backend(name, String.valueOf(b.get("type")),
                        Boolean.TRUE.equals(b.get("healthy")), String.valueOf(b.get("message")))));
        List<Map<String, Object>> nodes = (List<Map<String, Object>>) s.getOrDefault("nodes", List.of());
        int healthyNodes = (int) nodes.stream().filter(n -> Boolean.TRUE.equals(n.get("healthy"))).count();
        List<String> problems = new ArrayList<>();
        if (!running) {
            problems.add("the scheduler is not running");
        }
        backends.stream().filter(b -> !b.healthy()).forEach(b -> problems.add("key backend " + b.name() + " is unhealthy"));
        if (healthyNodes < nodes.size()) {
            problems.add((nodes.size() - healthyNodes) + " of " + nodes.size() + " nodes have not checked in");
        }
        if (f.failing() > 0) {
            problems.add(f.failing() + " credential" + (f.failing() == 1 ? "'s" : "s'") + " latest rotation failed");
        }
        if (f.overdue() > 0) {
            problems.add(f.overdue() + " credential" + (f.overdue() == 1 ? " is" : "s are") + " overdue for rotation");
        }
        if (!alerts.isEmpty()) {
            problems.add(alerts.size() + " alert" + (alerts.size() == 1 ? "" : "s") + " firing");
        }
        return new OverviewPage.Health(problems.isEmpty(), paused, running, problems, backends, nodes.size(), healthyNodes);
    }

    private static OverviewPage.Recent recent(RecentRotationsView r) {
        List<OverviewPage.Count> counts = r.counts().entrySet().stream()
                .map(e -> new OverviewPage.Count(e.getKey(), e.getValue(), e.getKey().toLowerCase(java.util.Locale.ROOT)))
                .toList();
        List<OverviewPage.RotationRow> rows = r.rotations().stream().map(v -> new OverviewPage.RotationRow(v.id(),
                v.credential(), CredentialPages.link(v.credential()), v.state(), v.state().toLowerCase(java.util.Locale.ROOT),
                v.trigger(), Charts.time(v.startedAt()), Charts.time(v.finishedAt()),
                v.lastError() == null ? "" : v.lastError())).toList();
        return new OverviewPage.Recent(Charts.time(r.since()), counts, rows, r.more());
    }

    /** The plan by day (UTC), from the exact counts per hour, with the first items of every kind in time order. */
    static OverviewPage.Plan plan(PlanView p, Instant now) {
        LocalDate first = LocalDate.ofInstant(p.from(), ZoneOffset.UTC);
        LocalDate last = LocalDate.ofInstant(p.to(), ZoneOffset.UTC);
        int n = (int) ChronoUnit.DAYS.between(first, last) + 1;
        long[][] byDay = new long[n][3];
        for (PlanView.Hour h : p.byHour()) {
            int d = (int) ChronoUnit.DAYS.between(first, LocalDate.ofInstant(h.hour(), ZoneOffset.UTC));
            if (d >= 0 && d < n) {
                byDay[d][0] += h.rotations();
                byDay[d][1] += h.revocations();
                byDay[d][2] += h.expiries();
            }
        }
        long max = 1;
        for (long[] d : byDay) {
            max = Math.max(max, d[0] + d[1] + d[2]);
        }
        List<OverviewPage.Day> days = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LocalDate day = first.plusDays(i);
            int rot = height(byDay[i][0], max);
            int rev = height(byDay[i][1], max);
            int exp = height(byDay[i][2], max);
            int x = i * 100 + 25;
            days.add(new OverviewPage.Day(Charts.DAY.format(day.atStartOfDay(ZoneOffset.UTC)), day.toString(),
                    byDay[i][0], byDay[i][1], byDay[i][2], byDay[i][0] + byDay[i][1] + byDay[i][2], x,
                    CHART_BASE - rot, rot, CHART_BASE - rot - rev, rev, CHART_BASE - rot - rev - exp, exp, x + 25,
                    CHART_BASE - rot - rev - exp - 6));
        }
        List<OverviewPage.PlanItem> items = new ArrayList<>();
        p.overdue().items().forEach(r -> items.add(new OverviewPage.PlanItem(Charts.time(r.at()), Charts.relative(r.at(), now),
                "overdue", r.credential(), CredentialPages.link(r.credential()), r.owner(), r.type())));
        p.rotations().items().forEach(r -> items.add(new OverviewPage.PlanItem(Charts.time(r.at()), Charts.relative(r.at(), now),
                "rotation", r.credential(), CredentialPages.link(r.credential()), r.owner(), r.type())));
        p.revocations().items().forEach(r -> items.add(new OverviewPage.PlanItem(Charts.time(r.at()), Charts.relative(r.at(), now),
                "revocation", r.credential(), CredentialPages.link(r.credential()), r.owner(), "version " + r.version()
                + (r.waitsForConsumers() ? ", waits for consumers" : ""))));
        p.expiries().items().forEach(e -> items.add(new OverviewPage.PlanItem(Charts.time(e.at()), Charts.relative(e.at(), now),
                "expiry", e.credential() != null ? e.credential() : e.agent() != null ? e.agent() : e.ca(),
                e.credential() == null ? null : CredentialPages.link(e.credential()), e.owner() == null ? "" : e.owner(),
                switch (e.kind()) {
                    case "certificate" -> "certificate " + e.serial() + " of " + e.ca();
                    case "agent" -> "ephemeral agent";
                    default -> "CA generation " + e.generation();
                })));
        items.sort(Comparator.comparing(OverviewPage.PlanItem::at));
        long total = p.overdue().count() + p.rotations().count() + p.revocations().count() + p.expiries().count();
        List<OverviewPage.PlanItem> shown = items.subList(0, Math.min(PLAN_ITEMS, items.size()));
        return new OverviewPage.Plan(p.within(), p.paused(), days, p.overdue().count(), p.rotations().count(),
                p.revocations().count(), p.expiries().count(), List.copyOf(shown), Math.max(0, total - shown.size()));
    }

    private static int height(long n, long max) {
        return n <= 0 ? 0 : (int) Math.max(2, Math.round((double) (CHART_BASE - CHART_TOP) * n / max));
    }

    private static OverviewPage.AlertRow alert(AlertView a) {
        String credential = a.labels() == null ? null : a.labels().get("credential");
        return new OverviewPage.AlertRow(a.alertname(), a.severity(), a.owner(), a.summary(), Charts.time(a.startsAt()),
                credential, credential == null ? null : CredentialPages.link(credential));
    }

    private List<OverviewPage.Ca> cas(Instant now) {
        List<OverviewPage.Ca> out = new ArrayList<>();
        for (String name : authorities.names()) {
            CertificateAuthorityView ca;
            try {
                ca = CertificateAuthorityView.of(authorities.snapshot(name));
            } catch (RuntimeException e) {
                LOG.warn("dashboard: cannot read CA {}: {}", name, e.toString());
                out.add(new OverviewPage.Ca(name, "", null, List.of()));
                continue;
            }
            List<OverviewPage.Generation> generations = ca.generations().stream().limit(3).map(g -> {
                Optional<X509CRLHolder> crl = "RETIRED".equals(g.state()) ? Optional.empty() : crl(name, g.generation());
                Optional<Integer> bytes = crl.map(c -> {
                    try {
                        return c.getEncoded().length;
                    } catch (IOException e) {
                        return null;
                    }
                });
                boolean soon = g.notAfter() != null && g.notAfter().isBefore(now.plus(Duration.ofDays(30)));
                return new OverviewPage.Generation(g.generation(), g.state(), Charts.time(g.notAfter()),
                        Charts.relative(g.notAfter(), now), soon && !"RETIRED".equals(g.state()), g.outstandingCertificates(),
                        g.crlNumber() == null ? "—" : g.crlNumber().toString(), Charts.time(g.crlNextUpdate()),
                        crl.map(c -> Integer.toString(c.getRevokedCertificates().size())).orElse("—"),
                        bytes.map(b -> b + " B").orElse("—"));
            }).toList();
            out.add(new OverviewPage.Ca(ca.name(), ca.trustDomain(), ca.parent(), generations));
        }
        return out;
    }

    /** The CRL a generation publishes now, as {@code GET /api/v1/cas/{name}/crl?generation=} serves it. */
    private Optional<X509CRLHolder> crl(String name, int generation) {
        try {
            return Optional.of(new X509CRLHolder(authorities.crlDer(name, Optional.of(generation))));
        } catch (IOException | RuntimeException e) {
            LOG.debug("dashboard: no CRL for {} generation {}: {}", name, generation, e.toString());
            return Optional.empty();
        }
    }
}
