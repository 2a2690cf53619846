package dev.rotakey;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.config.GovernanceFactory;
import dev.rotakey.core.AttestationPolicy;
import dev.rotakey.db.Store;
import dev.rotakey.posture.PosturePolicy;
import dev.rotakey.posture.PostureRecorder;
import dev.rotakey.posture.PostureReports;
import dev.rotakey.schedule.FixedDelayWork;
import dev.rotakey.service.AgentChanges;
import dev.rotakey.service.AttestationDeadlines;
import dev.rotakey.service.Attestations;
import dev.rotakey.usage.UsageRecorder;
import dev.rotakey.usage.UsageTelemetry;
import io.dropwizard.lifecycle.Managed;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * What the {@code governance:} section builds — owners' attestation and its deadlines, agents' changes, the posture
 * report and the usage telemetry — wired once for {@link RotakeyComponents}, which hands it the daemon's shared parts.
 */
final class GovernanceComponents {
    private final GovernanceFactory config;
    private final Store store;
    private final AuditLog audit;
    private final Clock clock;
    private final PrometheusRegistry prometheus;
    private final AttestationPolicy attestationPolicy;
    private final Attestations attestations;
    private final AgentChanges agentChanges;
    private final PostureReports posture;
    /** Null when {@code governance.usage.enabled} is false. */
    private final UsageTelemetry usage;
    private AttestationDeadlines deadlines;

    /**
     * @param overdueAfter       {@code alerting.overdueAfter}: the posture report's tolerance for an overdue rotation
     * @param anomaliesRecorded  told after a flush recorded anomalies (audit events): the SIEM streams and the alert
     *                           evaluator are nudged
     */
    GovernanceComponents(GovernanceFactory config, Duration overdueAfter, Store store, AuditLog audit, Clock clock,
                         PrometheusRegistry prometheus, Runnable anomaliesRecorded) {
        this.config = config;
        this.store = store;
        this.audit = audit;
        this.clock = clock;
        this.prometheus = prometheus;
        attestationPolicy = config.attestationPolicy();
        attestations = new Attestations(store, audit, attestationPolicy, clock);
        agentChanges = new AgentChanges(store, audit, clock);
        posture = new PostureReports(store, PosturePolicy.of(config, overdueAfter), clock);
        usage = config.getUsage().isEnabled()
                ? new UsageTelemetry(config.getUsage(), store, audit, clock, prometheus, anomaliesRecorded) : null;
    }

    Attestations attestations() {
        return attestations;
    }

    AgentChanges agentChanges() {
        return agentChanges;
    }

    PostureReports posture() {
        return posture;
    }

    /** The usage telemetry, or null when it is off. */
    UsageTelemetry usage() {
        return usage;
    }

    /** What every use of a known credential (a verification, an acknowledgement) is reported to. */
    UsageRecorder usageRecorder() {
        return usage == null ? UsageRecorder.NONE : usage;
    }

    /** The attestation deadlines' check (null until {@link #deadlineWork} built it). */
    AttestationDeadlines deadlines() {
        return deadlines;
    }

    /**
     * What writes audit events in the background: the posture recorder, and the usage telemetry's flusher (counts are
     * written every {@code flushEvery} and at stop, before the audit streams and checkpoints stop).
     */
    List<Managed> recorders() {
        PostureRecorder recorder = new PostureRecorder(store, audit, posture, config.getPosture().getRecordEvery());
        return usage == null ? List.of(recorder) : List.of(recorder, usage);
    }

    /**
     * The deadlines' check on its timer: registered after the alert evaluator it nudges, so that a suspension or
     * decommission at a deadline is alerted at once.
     *
     * @param decommission decommissions an agent as an operator's task does: (agent, actor)
     */
    Managed deadlineWork(BiConsumer<String, String> decommission, Runnable changed) {
        deadlines = new AttestationDeadlines(store, attestationPolicy, config.getOnAttestationDeadline(), audit,
                decommission, changed, clock, prometheus);
        return new FixedDelayWork("attestation-deadlines", config.getCheckEvery(), deadlines::run);
    }
}
