package dev.rotakey.alert;

import dev.rotakey.ca.GenerationExpiry;
import dev.rotakey.backend.BackendStatus;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.config.AlertingFactory;
import dev.rotakey.core.AttestationPolicy;
import dev.rotakey.service.AttestationDeadlines;
import dev.rotakey.db.AlertDao.Subject;
import dev.rotakey.db.AuditStreamDao.Position;
import dev.rotakey.db.Daos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns the state of the fleet into the alerts whose conditions hold now: one per subject (a
 * credential, a version, a backend, a CA generation) and condition, labelled with the owner who is
 * accountable. Past {@code maxAlertsPerCondition} subjects, one summary alert stands for the rest.
 */
public final class AlertConditions {
    /** What the evaluation reads besides the database: cheap, in-memory facts. */
    public record Context(Instant now, boolean paused, Collection<KeyBackend> backends,
                          Collection<GenerationExpiry> caGenerations, Map<String, Duration> auditStreams,
                          AttestationPolicy attestation) {
        public Context(Instant now, boolean paused, Collection<KeyBackend> backends,
                       Collection<GenerationExpiry> caGenerations) {
            this(now, paused, backends, caGenerations, Map.of(), AttestationPolicy.OFF);
        }
    }

    private final AlertingFactory config;
    private final Duration anomalyAlertFor;

    public AlertConditions(AlertingFactory config) {
        this(config, DEFAULT_ANOMALY_ALERT_FOR);
    }

    /** @param anomalyAlertFor how long a usage anomaly keeps its alert firing ({@code governance.usage.anomalyAlertFor}) */
    public AlertConditions(AlertingFactory config, Duration anomalyAlertFor) {
        this.config = config;
        this.anomalyAlertFor = anomalyAlertFor;
    }

    /** {@code governance.usage.anomalyAlertFor}'s default. */
    public static final Duration DEFAULT_ANOMALY_ALERT_FOR = Duration.ofHours(1);

    /** Every alert whose condition holds, read in the caller's transaction. */
    public List<Alert> holding(Daos d, Context ctx) {
        int limit = config.getMaxAlertsPerCondition();
        Instant now = ctx.now();
        List<Alert> out = new ArrayList<>();
        perSubject(out, AlertCondition.ROTATION_FAILED, d.alerts().failedRotations(limit + 1), now,
                s -> rotationFailed(s, now));
        perSubject(out, AlertCondition.REVOCATION_FAILED, d.alerts().failedRevocations(limit + 1), now,
                s -> revocationFailed(s, now));
        perSubject(out, AlertCondition.CREDENTIAL_OVERDUE,
                d.alerts().overdue(now.minus(config.getOverdueAfter()), limit + 1), now, s -> overdue(s, ctx));
        perSubject(out, AlertCondition.CREDENTIAL_EXPIRING,
                d.alerts().expiringCertificates(now.plus(config.getExpiryWarning()), limit + 1), now,
                s -> certificateExpiring(s, now));
        perSubject(out, AlertCondition.REVOKED_CREDENTIAL_PRESENTED,
                d.alerts().revokedPresented(now.minus(config.getPresentedWindow()), limit + 1), now,
                s -> revokedPresented(s, now));
        // A week back: a hook that failed and was never run again since is still worth an alert, older ones are not.
        perSubject(out, AlertCondition.RELOAD_HOOK_FAILED,
                d.alerts().failedPromotionActions(now.minus(Duration.ofDays(7)), limit + 1), now,
                s -> reloadHookFailed(s, now));
        attestations(out, d, ctx);
        perSubject(out, AlertCondition.USAGE_ANOMALY, d.alerts().usageAnomalies(now.minus(anomalyAlertFor), limit + 1),
                now, s -> usageAnomaly(s, now));
        for (GenerationExpiry g : ctx.caGenerations()) {
            if (g.notAfter().isBefore(now.plus(config.getExpiryWarning()))) {
                out.add(caExpiring(g, now));
            }
        }
        if (!ctx.auditStreams().isEmpty()) {
            for (Position p : d.auditStreams().positions()) {
                Duration after = ctx.auditStreams().get(p.name());
                if (after != null && p.oldestUndelivered() != null && p.oldestUndelivered().isBefore(now.minus(after))) {
                    out.add(auditStreamLagging(p, after, now));
                }
            }
        }
        for (KeyBackend b : ctx.backends()) {
            BackendStatus status = b.status();
            if (!status.healthy()) {
                out.add(backendUnhealthy(b, status, now));
            }
        }
        return out;
    }

    private void perSubject(List<Alert> out, AlertCondition condition, List<Subject> subjects, Instant now,
                            Function<Subject, Alert> toAlert) {
        perSubject(out, condition, subjects, now, toAlert, "credential", "GET /api/v1/status and the rotakey_* metrics "
                + "show the whole fleet. Something common to them (a target, a key backend, the scheduler) is the likely "
                + "cause.");
    }

    /**
     * One alert per subject, up to {@code maxAlertsPerCondition}; past it, one summary alert (label {@code kind} "*")
     * says where to see the rest.
     */
    private <S> void perSubject(List<Alert> out, AlertCondition condition, List<S> subjects, Instant now,
                                Function<S, Alert> toAlert, String kind, String whereTheRestAre) {
        int limit = config.getMaxAlertsPerCondition();
        for (int i = 0; i < Math.min(limit, subjects.size()); i++) {
            out.add(toAlert.apply(subjects.get(i)));
        }
        if (subjects.size() > limit) {
            Map<String, String> labels = labels(condition, config.getOwner());
            labels.put(kind, "*");
            out.add(new Alert(condition.wireName() + ":more", condition, AlertStatus.FIRING, labels,
                    condition.alertName() + " holds for more than " + limit + " " + kind + "s",
                    "Only the first " + limit + " are alerted on one by one; " + whereTheRestAre, now, null));
        }
    }

    /** One alert per agent whose attestation is due (a warning to its owner) or overdue (suspended or not). */
    private void attestations(List<Alert> out, Daos d, Context ctx) {
        int limit = config.getMaxAlertsPerCondition();
        Map<Boolean, List<AttestationDeadlines.Attention>> byDue = AttestationDeadlines.needingAttention(d,
                        ctx.attestation(), ctx.now(), 4 * (limit + 1)).stream()
                .collect(java.util.stream.Collectors.partitioningBy(a -> a.standing().state() == AttestationPolicy.State.DUE));
        perSubject(out, AlertCondition.ATTESTATION_DUE, byDue.get(true), ctx.now(),
                a -> attestation(AlertCondition.ATTESTATION_DUE, a, ctx), "agent", "GET /api/v1/posture lists them all.");
        perSubject(out, AlertCondition.ATTESTATION_OVERDUE, byDue.get(false), ctx.now(),
                a -> attestation(AlertCondition.ATTESTATION_OVERDUE, a, ctx), "agent", "GET /api/v1/posture lists them all.");
    }

    private Alert attestation(AlertCondition condition, AttestationDeadlines.Attention a, Context ctx) {
        dev.rotakey.core.Agent agent = a.agent().agent();
        Map<String, String> labels = labels(condition, agent.owner());
        labels.put("agent", agent.id());
        Instant due = a.standing().dueAt();
        boolean warning = condition == AlertCondition.ATTESTATION_DUE;
        String suspended = a.standing().state() == AttestationPolicy.State.SUSPENDED ? " It is suspended: its keys are "
                + "refused (reason suspended) and its scheduled rotations stopped until it is re-attested." : "";
        return new Alert(condition.wireName() + ":" + agent.id(), condition, AlertStatus.FIRING, labels,
                warning ? "Agent " + agent.id() + " must be re-attested by its owner before " + due
                        : "Agent " + agent.id() + "'s attestation is overdue since " + due,
                "Owner " + agent.owner() + ": confirm the agent is still needed and its credentials still fit with "
                        + "POST /api/v1/agents/" + agent.id() + "/attest, or decommission it." + suspended,
                startOr(warning ? due.minus(ctx.attestation().warning()) : due, ctx.now()), null);
    }

    private Alert rotationFailed(Subject s, Instant now) {
        Map<String, String> labels = credentialLabels(AlertCondition.ROTATION_FAILED, s);
        return new Alert(AlertCondition.ROTATION_FAILED.wireName() + ":" + s.credentialId(),
                AlertCondition.ROTATION_FAILED, AlertStatus.FIRING, labels,
                "Rotation of credential " + s.credentialId() + " (agent " + s.agentId() + ") failed",
                "Rotation " + s.extra() + " (version " + s.version() + ") failed after its retries"
                        + (s.detail() == null ? "" : ": " + s.detail())
                        + ". The previous version is still CURRENT and keeps working. Owner: " + s.owner() + ".",
                startOr(s.at(), now), null);
    }

    private Alert revocationFailed(Subject s, Instant now) {
        Map<String, String> labels = credentialLabels(AlertCondition.REVOCATION_FAILED, s);
        labels.put("version", Integer.toString(s.version()));
        return new Alert(AlertCondition.REVOCATION_FAILED.wireName() + ":" + s.credentialId() + "#v" + s.version(),
                AlertCondition.REVOCATION_FAILED, AlertStatus.FIRING, labels,
                "Version " + s.version() + " of credential " + s.credentialId() + " could not be revoked at a target",
                "Removing it failed after " + s.extra() + " attempt(s)" + (s.detail() == null ? "" : ": " + s.detail())
                        + ". It may still be accepted there until the removal succeeds; Rotakey retries it until then. Owner: " + s.owner() + ".",
                startOr(s.at(), now), null);
    }

    private Alert overdue(Subject s, Context ctx) {
        Map<String, String> labels = credentialLabels(AlertCondition.CREDENTIAL_OVERDUE, s);
        return new Alert(AlertCondition.CREDENTIAL_OVERDUE.wireName() + ":" + s.credentialId(),
                AlertCondition.CREDENTIAL_OVERDUE, AlertStatus.FIRING, labels,
                "Credential " + s.credentialId() + " (agent " + s.agentId() + ") is overdue for rotation",
                "Its rotation was due at " + s.at() + " and has not succeeded within " + config.getOverdueAfter()
                        + (ctx.paused() ? ". Rotations are PAUSED (resume them with POST /tasks/resume-rotations)."
                        : ". Is the scheduler running on some node?") + " Owner: " + s.owner() + ".",
                ctx.now(), null);
    }

    private Alert certificateExpiring(Subject s, Instant now) {
        Map<String, String> labels = credentialLabels(AlertCondition.CREDENTIAL_EXPIRING, s);
        labels.put("version", Integer.toString(s.version()));
        labels.put("ca", s.extra());
        return new Alert(AlertCondition.CREDENTIAL_EXPIRING.wireName() + ":" + s.credentialId() + "#v" + s.version(),
                AlertCondition.CREDENTIAL_EXPIRING, AlertStatus.FIRING, labels,
                "Certificate of credential " + s.credentialId() + " (version " + s.version() + ") expires at " + s.at(),
                "Serial " + s.detail() + " issued by " + s.extra() + " expires within " + config.getExpiryWarning()
                        + " and no renewal has replaced it. Owner: " + s.owner() + ".",
                now, null);
    }

    private Alert revokedPresented(Subject s, Instant now) {
        Map<String, String> labels = credentialLabels(AlertCondition.REVOKED_CREDENTIAL_PRESENTED, s);
        labels.put("version", Integer.toString(s.version()));
        return new Alert(AlertCondition.REVOKED_CREDENTIAL_PRESENTED.wireName() + ":" + s.credentialId() + "#v"
                + s.version(), AlertCondition.REVOKED_CREDENTIAL_PRESENTED, AlertStatus.FIRING, labels,
                "A superseded, revoked or retired API key of credential " + s.credentialId() + " (version "
                        + s.version() + ") was presented",
                "It was presented for verification " + s.detail() + " time(s) in the last " + config.getPresentedWindow()
                        + ", last at " + s.at() + " (after its revocation, its credential's or agent's decommission, or its "
                        + "ephemeral agent's expiry): it may have leaked. The audit log (action "
                        + "api-key.revoked-presented) names the caller. Owner: " + s.owner() + ".",
                now, null);
    }

    /** One alert per credential and kind, however often it is detected: its labels stay put, the counts change. */
    private Alert usageAnomaly(Subject s, Instant now) {
        Map<String, String> labels = credentialLabels(AlertCondition.USAGE_ANOMALY, s);
        labels.put("kind", s.extra());
        return new Alert(AlertCondition.USAGE_ANOMALY.wireName() + ":" + s.credentialId() + "#" + s.extra(),
                AlertCondition.USAGE_ANOMALY, AlertStatus.FIRING, labels,
                "Unusual use of credential " + s.credentialId() + " (agent " + s.agentId() + "): " + s.extra(),
                "Usage anomaly " + s.extra() + " in the last " + anomalyAlertFor + ", last detected at " + s.at() + ": "
                        + s.detail() + ". The audit log (action usage.anomaly, subject credential:" + s.credentialId()
                        + ") has each detection. If the use is expected, nothing is to be done: the service or "
                        + "network is now known, and the alert clears after " + anomalyAlertFor + ". Owner: "
                        + s.owner() + ".", now, null);
    }

    private Alert reloadHookFailed(Subject s, Instant now) {
        Map<String, String> labels = credentialLabels(AlertCondition.RELOAD_HOOK_FAILED, s);
        labels.put("version", Integer.toString(s.version()));
        return new Alert(AlertCondition.RELOAD_HOOK_FAILED.wireName() + ":" + s.credentialId(),
                AlertCondition.RELOAD_HOOK_FAILED, AlertStatus.FIRING, labels,
                "The reload hook after promoting version " + s.version() + " of credential " + s.credentialId()
                        + " failed",
                "Version " + s.version() + " is CURRENT and delivered, but what its binding runs after promotion failed ("
                        + s.detail() + "): the consumer may still use the previous version, which is revoked when its "
                        + "grace period ends. Fix the hook and rotate again, or reload the consumer by hand. Owner: "
                        + s.owner() + ".", startOr(s.at(), now), null);
    }

    private Alert caExpiring(GenerationExpiry g, Instant now) {
        Map<String, String> labels = labels(AlertCondition.CREDENTIAL_EXPIRING, config.getOwner());
        labels.put("ca", g.ca());
        labels.put("generation", Integer.toString(g.generation()));
        return new Alert(AlertCondition.CREDENTIAL_EXPIRING.wireName() + ":ca:" + g.ca() + "#" + g.generation(),
                AlertCondition.CREDENTIAL_EXPIRING, AlertStatus.FIRING, labels,
                "CA certificate " + g.ca() + " (generation " + g.generation() + ") expires at " + g.notAfter(),
                "Its state is " + g.state() + "; rotate the CA (POST /tasks/rotate-ca?ca=" + g.ca()
                        + ") well before then, so that relying parties can take the new chain.", now, null);
    }

    private Alert backendUnhealthy(KeyBackend b, BackendStatus status, Instant now) {
        Map<String, String> labels = labels(AlertCondition.KEY_BACKEND_UNHEALTHY, config.getOwner());
        labels.put("backend", b.name());
        labels.put("backend_type", b.type());
        return new Alert(AlertCondition.KEY_BACKEND_UNHEALTHY.wireName() + ":" + b.name(),
                AlertCondition.KEY_BACKEND_UNHEALTHY, AlertStatus.FIRING, labels,
                "Key backend " + b.name() + " (" + b.type() + ") is unhealthy",
                (status.message() == null ? "" : status.message() + ". ")
                        + "Nothing that uses it can rotate; current credentials keep working.", now, null);
    }

    private Alert auditStreamLagging(Position p, Duration after, Instant now) {
        Map<String, String> labels = labels(AlertCondition.AUDIT_STREAM_LAGGING, config.getOwner());
        labels.put("stream", p.name());
        return new Alert(AlertCondition.AUDIT_STREAM_LAGGING.wireName() + ":" + p.name(),
                AlertCondition.AUDIT_STREAM_LAGGING, AlertStatus.FIRING, labels,
                "Audit stream " + p.name() + " is not delivering to its SIEM receiver",
                p.lagEvents() + " audit event(s) wait; the oldest was recorded at " + p.oldestUndelivered() + ", more than " + after
                        + " ago" + (p.lastError() == null ? "" : "; the last delivery failed: " + p.lastError())
                        + ". Nothing is lost: the events stay in the audit trail and are sent when the receiver "
                        + "takes them again.", now, null);
    }

    private static Map<String, String> credentialLabels(AlertCondition condition, Subject s) {
        Map<String, String> labels = labels(condition, s.owner());
        labels.put("agent", s.agentId());
        labels.put("credential", s.credentialId());
        labels.put("credential_type", s.credentialType());
        return labels;
    }

    private static Map<String, String> labels(AlertCondition condition, String owner) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("alertname", condition.alertName());
        labels.put("severity", condition.severity().wireName());
        labels.put("service", "rotakey");
        labels.put("owner", owner);
        return labels;
    }

    private static Instant startOr(Instant at, Instant now) {
        return at == null ? now : at;
    }
}
