package dev.rotakey.dashboard;

import dev.rotakey.api.CredentialView;
import dev.rotakey.api.RotationView;
import dev.rotakey.api.VersionView;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.core.Agent;
import dev.rotakey.service.AgentService;
import dev.rotakey.service.CredentialQueries;
import dev.rotakey.service.OperatorQueries;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Builds a credential's page from what {@code GET /api/v1/credentials/{id}}, {@code /credentials/{id}/rotations} and
 * {@code /audit?subject=credential:{id}} answer (the same services), plus its agent's owner.
 */
final class CredentialPages {
    static final int ROTATIONS = 20;
    static final int EVENTS = 200;

    private final CredentialQueries credentials;
    private final AgentService agents;
    private final OperatorQueries queries;
    private final DashboardAssets assets;

    CredentialPages(CredentialQueries credentials, AgentService agents, OperatorQueries queries, DashboardAssets assets) {
        this.credentials = credentials;
        this.agents = agents;
        this.queries = queries;
        this.assets = assets;
    }

    /** The dashboard path of a credential's page, its id encoded as one path segment. */
    static String link(String credentialId) {
        return credentialId == null ? null
                : "/dashboard/credentials/" + URLEncoder.encode(credentialId, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The page of credential {@code id}; a {@code RejectedException} (404) when there is none. */
    CredentialPage page(String id) {
        CredentialView c = credentials.credential(id);
        Agent agent = agents.get(c.agent());
        List<CredentialPage.Fact> facts = new ArrayList<>();
        facts.add(new CredentialPage.Fact("Agent", c.agent()));
        facts.add(new CredentialPage.Fact("Owner", agent.owner()));
        facts.add(new CredentialPage.Fact("Type", c.type()));
        facts.add(new CredentialPage.Fact("Key backend", c.backend()));
        facts.add(new CredentialPage.Fact("Rotation", c.rotation().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))));
        facts.add(new CredentialPage.Fact("Grace period", c.gracePeriod()));
        facts.add(new CredentialPage.Fact("Next rotation", Charts.time(c.nextRotationAt())));
        facts.add(new CredentialPage.Fact("Current version", c.currentVersion() == null ? "—" : c.currentVersion().toString()));
        facts.add(new CredentialPage.Fact("Created", Charts.time(c.createdAt())));
        if (c.ca() != null) {
            facts.add(new CredentialPage.Fact("Certificate", c.ca() + ", " + c.keySpec() + ", valid " + c.validity()));
        }
        if (c.consumers() != null) {
            facts.add(new CredentialPage.Fact("Consumers", String.join(", ", c.consumers())));
        }
        if (c.acknowledgementOverdue() != null) {
            facts.add(new CredentialPage.Fact("Acknowledgement overdue", String.join(", ", c.acknowledgementOverdue())));
        }
        List<CredentialPage.Binding> targets = c.targets().stream().map(CredentialPages::binding).toList();
        List<CredentialPage.Version> versions = c.versions().stream()
                .sorted((a, b) -> Integer.compare(b.version(), a.version())).map(CredentialPages::version).toList();
        List<CredentialPage.Rotation> rotations = credentials.rotationsOf(c.id(), ROTATIONS).stream()
                .map(CredentialPages::rotation).toList();
        List<AuditEvent> newestFirst = queries.auditEvents("credential:" + c.id(), null, Long.MAX_VALUE, EVENTS);
        List<CredentialPage.Event> events = new ArrayList<>(newestFirst.stream().map(CredentialPages::event).toList());
        Collections.reverse(events);
        String earlier = newestFirst.size() == EVENTS ? "Only the latest " + EVENTS + " events are shown; "
                + "GET /api/v1/audit?subject=credential:" + c.id() + " pages through the rest." : null;
        return new CredentialPage(assets.url("dashboard.css"), assets.url("favicon.svg"), c.id(), c.status(), facts,
                targets, versions, rotations, events, earlier);
    }

    private static CredentialPage.Binding binding(Map<String, String> b) {
        return new CredentialPage.Binding(b.get("target"), b.entrySet().stream().filter(e -> !e.getKey().equals("target"))
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ")));
    }

    private static CredentialPage.Version version(VersionView v) {
        List<String> detail = new ArrayList<>();
        if (v.serial() != null) {
            detail.add("serial " + v.serial() + ", not after " + Charts.time(v.notAfter()));
        }
        if (v.revokeReason() != null) {
            detail.add("revoked: " + v.revokeReason());
        }
        if (v.revokeError() != null) {
            detail.add("removal failed: " + v.revokeError());
        }
        return new CredentialPage.Version(v.version(), v.state(), v.state().toLowerCase(Locale.ROOT),
                Charts.time(v.createdAt()), Charts.time(v.promotedAt()), Charts.time(v.revokeAfter()),
                Charts.time(v.revokedAt()), String.join("; ", detail));
    }

    private static CredentialPage.Rotation rotation(RotationView r) {
        return new CredentialPage.Rotation(r.id(), r.state(), r.state().toLowerCase(Locale.ROOT), r.trigger(), r.actor(),
                r.version(), r.step(), r.attempts(), Charts.time(r.startedAt()), Charts.time(r.finishedAt()),
                r.lastError() == null ? "" : r.lastError());
    }

    private static CredentialPage.Event event(AuditEvent e) {
        return new CredentialPage.Event(e.id(), Charts.time(e.at()), e.actor(), e.action(), e.outcome(),
                e.failed() ? "failed" : "ok", e.details() == null ? "" : e.details());
    }
}
