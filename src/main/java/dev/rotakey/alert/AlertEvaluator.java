package dev.rotakey.alert;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.GenerationExpiry;
import dev.rotakey.config.AlertingFactory;
import dev.rotakey.core.AttestationPolicy;
import dev.rotakey.db.AlertDao.Firing;
import dev.rotakey.db.Store;
import dev.rotakey.db.UniqueViolation;
import io.dropwizard.lifecycle.Managed;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Evaluates the alert conditions on a timer of its own (not Quartz's, so that a stopped scheduler is
 * itself noticed) and whenever a rotation finishes or a revoked key is presented; opens, repeats and
 * resolves alerts in the shared ledger, and hands each notification its node claimed to the
 * {@link AlertDispatcher}. Every firing and resolution is an audit event.
 */
public final class AlertEvaluator implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(AlertEvaluator.class);
    private static final String ACTOR = "rotakey";

    private final AlertingFactory config;
    private final Map<String, Duration> auditStreams;
    private final AttestationPolicy attestation;
    private final AlertConditions conditions;
    private final Store store;
    private final KeyBackends backends;
    private final CertificateAuthorities authorities;
    private final BooleanSupplier paused;
    private final AlertDispatcher dispatcher;
    private final AuditLog audit;
    private final Clock clock;
    private final AtomicBoolean soon = new AtomicBoolean();
    /** When the last event-driven evaluation started (System.nanoTime: a rate, whatever time tests set). */
    private volatile long lastSoon;
    private volatile boolean anySoon;
    private final Counter evaluations;
    private volatile Map<AlertCondition, Integer> firingCounts = Map.of();
    private ScheduledExecutorService timer;

    public AlertEvaluator(AlertingFactory config, Store store, KeyBackends backends, CertificateAuthorities authorities,
                          BooleanSupplier paused, AlertDispatcher dispatcher, AuditLog audit, Clock clock,
                          PrometheusRegistry registry) {
        this(config, store, backends, authorities, paused, dispatcher, audit, clock, registry, Map.of());
    }

    /** @param auditStreams the SIEM streams watched for lag, each with how long it may lag before it alerts */
    public AlertEvaluator(AlertingFactory config, Store store, KeyBackends backends, CertificateAuthorities authorities,
                          BooleanSupplier paused, AlertDispatcher dispatcher, AuditLog audit, Clock clock,
                          PrometheusRegistry registry, Map<String, Duration> auditStreams) {
        this(config, store, backends, authorities, paused, dispatcher, audit, clock, registry, auditStreams,
                AttestationPolicy.OFF, AlertConditions.DEFAULT_ANOMALY_ALERT_FOR);
    }

    /** @param anomalyAlertFor how long a usage anomaly keeps its alert firing ({@code governance.usage.anomalyAlertFor}) */
    public AlertEvaluator(AlertingFactory config, Store store, KeyBackends backends, CertificateAuthorities authorities,
                          BooleanSupplier paused, AlertDispatcher dispatcher, AuditLog audit, Clock clock,
                          PrometheusRegistry registry, Map<String, Duration> auditStreams, Duration anomalyAlertFor) {
        this(config, store, backends, authorities, paused, dispatcher, audit, clock, registry, auditStreams,
                AttestationPolicy.OFF, anomalyAlertFor);
    }

    /**
     * @param attestation     when owners must re-attest their agents: due and overdue attestations alert their owners
     * @param anomalyAlertFor how long a usage anomaly keeps its alert firing ({@code governance.usage.anomalyAlertFor})
     */
    public AlertEvaluator(AlertingFactory config, Store store, KeyBackends backends, CertificateAuthorities authorities,
                          BooleanSupplier paused, AlertDispatcher dispatcher, AuditLog audit, Clock clock,
                          PrometheusRegistry registry, Map<String, Duration> auditStreams, AttestationPolicy attestation,
                          Duration anomalyAlertFor) {
        this.attestation = attestation;
        this.auditStreams = Map.copyOf(auditStreams);
        this.config = config;
        this.conditions = new AlertConditions(config, anomalyAlertFor);
        this.store = store;
        this.backends = backends;
        this.authorities = authorities;
        this.paused = paused;
        this.dispatcher = dispatcher;
        this.audit = audit;
        this.clock = clock;
        GaugeWithCallback.builder().name("rotakey_alerts_firing")
                .help("Alerts whose condition held at the last evaluation, by alert name")
                .labelNames("alertname", "severity")
                .callback(cb -> {
                    Map<AlertCondition, Integer> counts = firingCounts;
                    for (AlertCondition c : AlertCondition.values()) {
                        cb.call(counts.getOrDefault(c, 0), c.alertName(), c.severity().wireName());
                    }
                })
                .register(registry);
        evaluations = Counter.builder().name("rotakey_alert_evaluations_total")
                .help("Evaluations of the alert conditions, on the timer or asked for by events").register(registry);
    }

    @Override
    public void start() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "alert-evaluator");
            thread.setDaemon(true);
            return thread;
        });
        // At stop, an evaluation asked for but not begun is dropped; the one running finishes.
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timer = t;
        long period = config.getEvaluationInterval().toMillis();
        timer.scheduleWithFixedDelay(this::evaluateQuietly, Math.min(period, 5_000), period, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() throws InterruptedException {
        if (timer != null) {
            // No interrupt: an embedded H2 closes the whole database when a thread is interrupted in its file I/O,
            // failing the steps other threads are still finishing.
            timer.shutdown();
            timer.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Asks for an evaluation on the evaluator's thread: at once after a quiet spell, else {@code burstInterval} after
     * the last one asked for; requests made meanwhile coalesce into it.
     */
    public void evaluateSoon() {
        ScheduledExecutorService t = timer;
        if (t != null && soon.compareAndSet(false, true)) {
            long spacing = Math.min(config.getBurstInterval().toNanos(), config.getEvaluationInterval().toNanos());
            long wait = anySoon ? Math.max(0, lastSoon + spacing - System.nanoTime()) : 0;
            try {
                t.schedule(() -> {
                    soon.set(false);
                    lastSoon = System.nanoTime();
                    anySoon = true;
                    evaluateQuietly();
                }, wait, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                soon.set(false); // stopping
            }
        }
    }

    /** The alert conditions that held at the last evaluation, by condition. */
    public Map<AlertCondition, Integer> firingCounts() {
        return firingCounts;
    }

    private void evaluateQuietly() {
        try {
            evaluate();
        } catch (RuntimeException e) {
            // The next tick tries again; an evaluation that throws must not end the timer.
            LOG.warn("alert evaluation failed: {}", e.toString(), e);
        }
    }

    /** One evaluation, now, on the caller's thread: what it opened, repeated and resolved. */
    public synchronized AlertReconciliation evaluate() {
        evaluations.inc();
        Instant now = clock.instant();
        AlertConditions.Context ctx = new AlertConditions.Context(now, paused.getAsBoolean(), backends.all(), caGenerations(),
                auditStreams, attestation);
        List<Alert> holding = store.read(d -> conditions.holding(d, ctx));
        Map<AlertCondition, Integer> counts = new TreeMap<>();
        for (Alert a : holding) {
            counts.merge(a.condition(), 1, Integer::sum);
        }
        firingCounts = Map.copyOf(counts);
        List<Firing> ledger = store.read(d -> d.alerts().firing());
        AlertReconciliation plan = AlertReconciliation.of(holding, ledger, now, config.getRepeatInterval());
        for (Alert a : plan.open()) {
            Firing row = new Firing(a.fingerprint(), a.condition().name(), a.labels(), a.summary(), a.description(),
                    a.startsAt(), now, 1);
            if (claim(() -> store.tx(d -> {
                boolean opened = d.alerts().open(row);
                if (opened) {
                    audit.record(d, ACTOR, AuditAction.ALERT_FIRING, a.fingerprint(), "firing", details(a));
                }
                return opened;
            }))) {
                dispatcher.dispatch(a);
            }
        }
        for (AlertReconciliation.Repeat r : plan.repeat()) {
            Alert a = r.alert();
            if (claim(() -> store.tx(d -> d.alerts().claimRepeat(a.fingerprint(), r.previous().lastNotifiedAt(), now,
                    a.summary(), a.description())))) {
                dispatcher.dispatch(a);
            }
        }
        for (Firing f : plan.resolve()) {
            Alert resolved = AlertReconciliation.resolved(f, now);
            if (claim(() -> store.tx(d -> {
                boolean mine = d.alerts().resolve(f.fingerprint(), f.startedAt());
                if (mine) {
                    audit.record(d, ACTOR, AuditAction.ALERT_RESOLVED, f.fingerprint(), "resolved", details(resolved));
                }
                return mine;
            }))) {
                dispatcher.dispatch(resolved);
            }
        }
        return plan;
    }

    /** Runs a conditional ledger write; another node winning the race (a duplicate key) is not an error. */
    private static boolean claim(java.util.function.Supplier<Boolean> write) {
        try {
            return write.get();
        } catch (UnableToExecuteStatementException e) {
            if (UniqueViolation.in(e)) {
                return false;
            }
            throw e;
        }
    }

    private static String details(Alert a) {
        return a.alertName() + " owner=" + a.owner() + ": " + a.summary();
    }

    private List<GenerationExpiry> caGenerations() {
        try {
            return authorities.expiries();
        } catch (RuntimeException e) {
            // The CAs have a health check of their own; their expiry is looked at again next time.
            LOG.debug("CA generations not readable: {}", e.toString());
            return List.of();
        }
    }
}
