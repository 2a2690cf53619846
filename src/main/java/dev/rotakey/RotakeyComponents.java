package dev.rotakey;

import com.codahale.metrics.MetricRegistry;
import dev.rotakey.alert.AlertDispatcher;
import dev.rotakey.alert.AlertEvaluator;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditChainVerifier;
import dev.rotakey.audit.AuditCheckpoints;
import dev.rotakey.audit.stream.AuditStreams;
import dev.rotakey.audit.AuditExport;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSigningKeys;
import dev.rotakey.auth.AuthenticationFailures;
import dev.rotakey.auth.BootstrapToken;
import dev.rotakey.auth.GuessingLockout;
import dev.rotakey.auth.Operator;
import dev.rotakey.auth.OperatorTokens;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.batch.Batches;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.TrustedGeneration;
import dev.rotakey.cluster.ClusterChecks;
import dev.rotakey.cluster.ClusterLocks;
import dev.rotakey.cluster.ClusterNodes;
import dev.rotakey.cluster.ClusterSweep;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.cluster.StartupSequence;
import dev.rotakey.config.CacheFactory;
import dev.rotakey.config.DatabaseFactory;
import dev.rotakey.config.LockoutFactory;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.CertificateAuthorityDao;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.PresentedKeyDao.PresentedKey;
import dev.rotakey.db.PresentedKeyDao;
import dev.rotakey.db.Store;
import dev.rotakey.db.TokenDao;
import dev.rotakey.metrics.ApiKeyVerificationMetrics;
import dev.rotakey.metrics.FleetMetrics;
import dev.rotakey.metrics.NodeInfoMetrics;
import dev.rotakey.metrics.RotationMetrics;
import dev.rotakey.posture.PostureReports;
import dev.rotakey.schedule.FixedDelayWork;
import dev.rotakey.schedule.ImmediateWork;
import dev.rotakey.schedule.JobHandler;
import dev.rotakey.schedule.QuartzWorkScheduler;
import dev.rotakey.usage.UsageTelemetry;
import dev.rotakey.service.AcknowledgementService;
import dev.rotakey.service.AgentChanges;
import dev.rotakey.service.AgentService;
import dev.rotakey.service.Attestations;
import dev.rotakey.service.AttestationDeadlines;
import dev.rotakey.service.ApiKeyVerifier;
import dev.rotakey.service.BatchedRotations;
import dev.rotakey.service.BindingClaims;
import dev.rotakey.service.CredentialBatch;
import dev.rotakey.service.CredentialQueries;
import dev.rotakey.service.CredentialService;
import dev.rotakey.service.DueRotations;
import dev.rotakey.service.FirstVersions;
import dev.rotakey.service.FleetQueries;
import dev.rotakey.service.OperatorQueries;
import dev.rotakey.service.OrphanLeafKeys;
import dev.rotakey.service.ParallelSteps;
import dev.rotakey.service.RevocationService;
import dev.rotakey.service.RotationExecutor;
import dev.rotakey.service.RotationPlanner;
import dev.rotakey.service.RotationService;
import dev.rotakey.service.ScheduleCalculator;
import dev.rotakey.service.ScheduledWork;
import dev.rotakey.service.StatusReport;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.Targets;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.lifecycle.Managed;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Rotakey's whole service graph — key backends, targets, certificate authorities, the scheduler, the
 * rotation workflow, the services, alerts and metrics — built in one place from the configuration. The
 * daemon registers it with Dropwizard ({@link RotakeyApplication}); tests and benchmarks build the same
 * graph through {@link Builder}, replacing only what its documented hooks name.
 */
public final class RotakeyComponents {
    /** Threads on which a batch creation issues, delivers and verifies: they wait on backends and targets. */
    private static final int BATCH_THREADS = 8;
    private final Store store;
    private final NodeIdentity node;
    private final PrometheusRegistry prometheus = new PrometheusRegistry();
    private final AuditLog audit;
    private final KeyBackends backends;
    private final AuditSigningKeys auditKeys;
    private final AuditCheckpoints auditCheckpoints;
    private final AuditStreams auditStreams;
    private final Targets targets;
    private final CertificateAuthorities authorities;
    /** Quartz, or null when a test gave the services a {@link WorkScheduler} of its own. */
    private final QuartzWorkScheduler scheduler;
    private final RevocationService revocations;
    private final RotationExecutor executor;
    private final RotationService rotations;
    private final JobHandler jobs;
    private final DueRotations due;
    private final Clock clock;
    private final AgentService agents;
    private final GovernanceComponents governance;
    private final CredentialService credentials;
    private final CredentialBatch credentialBatch;
    private final AcknowledgementService acknowledgements;
    private final ApiKeyVerifier verifier;
    private final RotationPlanner planner;
    private final CredentialQueries credentialQueries;
    private final OperatorQueries operatorQueries;
    private final StatusReport status;
    private final FleetQueries fleetQueries;
    private final AuthenticationFailures authenticationFailures;
    private final AlertDispatcher alertDispatcher;
    private final AlertEvaluator alerts;
    private final OrphanLeafKeys orphanKeys;
    private final OperatorTokens tokens;
    private final Batches batches;
    private final BatchedRotations batchedRotations;
    private final NotifiedCache<String, Operator> tokenCache;
    private final NotifiedCache<String, List<TrustedGeneration>> trustedCas;
    private final List<Managed> managed = new ArrayList<>();

    private RotakeyComponents(Builder b) {
        RotakeyConfiguration config = b.config;
        Clock clock = b.clock;
        this.clock = clock;
        store = b.store;
        node = NodeIdentity.of(config.getScheduler());
        ClusterChecks.check(node, config.getDatabase().getUrl(), config.getTargets());
        ClusterLocks clusterLocks = node.clustered() ? new ClusterLocks(store, config.getScheduler().getInstanceName()) : null;
        // Its observer reaches the alert evaluator, which records through this log: the loop is closed by a method of
        // this root, called only once an event commits, long after construction.
        audit = new AuditLog(store, clock, node, this::afterAuditCommit);

        backends = new KeyBackends(b.keyBackends != null ? b.keyBackends
                : ConfiguredPlugins.keyBackends(config, prometheus));
        targets = new Targets(b.targets != null ? b.targets : ConfiguredPlugins.targets(config, prometheus, b.metrics, store));
        ConfiguredPlugins.checkBackendNames(config.getCertificateAuthorities(), backends);
        authorities = new CertificateAuthorities(config.getCertificateAuthorities(), backends, store, audit, clock);

        ManagedDataSource quartzPool = null;
        QuartzWorkScheduler quartz = null;
        if (b.workScheduler == null) {
            // A separate small pool: Quartz leaves auto-commit off on its connections, and must never starve the API.
            DatabaseFactory db = config.getDatabase();
            // Its worker threads, the scheduler's acquiring thread, the misfire handler and the cluster's check-in.
            quartzPool = db.buildSmall(b.metrics, "quartz", config.getScheduler().getThreads() + 3);
            // The services that do the scheduled work schedule through it, so it asks for them only when it starts.
            quartz = new QuartzWorkScheduler(config.getScheduler(), node, quartzPool, db.getUrl().startsWith("jdbc:postgresql:"),
                    store, b.metrics, this::jobs);
        }
        scheduler = quartz;
        ImmediateWork immediate = null;
        if (quartz != null) {
            int threads = config.getScheduler().rotationThreads();
            // On a cluster a short queue: the rest of a mass rotation goes through Quartz, which shares it out.
            immediate = new ImmediateWork(quartz, id -> jobs().continueRotation(id), clock, threads,
                    node.clustered() ? 4 * threads : 1_000_000);
        }
        WorkScheduler work = immediate != null ? immediate : b.workScheduler;
        BooleanSupplier pausedOrUnknown = scheduler == null ? () -> false : scheduler::pausedOrUnknown;

        RotationWorkflow workflow = new RotationWorkflow(config.getRotation().getRetry().build());
        CredentialLocks locks = new CredentialLocks(1024, clusterLocks == null ? null : clusterLocks.credentials());
        RotationMetrics rotationMetrics = new RotationMetrics(prometheus, store);
        revocations = new RevocationService(store, backends, targets, workflow, audit, work, locks, clock, authorities);
        alertDispatcher = new AlertDispatcher(ConfiguredPlugins.alertSinks(config),
                config.getAlerting().getDelivery().build(), config.getAlerting().getQueueCapacity(), prometheus);
        auditStreams = new AuditStreams(config.getAudit().getStreams(), store, node.instanceId(), clock, prometheus);
        alerts = new AlertEvaluator(config.getAlerting(), store, backends, authorities, pausedOrUnknown, alertDispatcher,
                audit, clock, prometheus, auditStreams.lagAlertAfter(), config.getGovernance().attestationPolicy(),
                config.getGovernance().getUsage().getAnomalyAlertFor());
        // Anomalies are audit events recorded in the flush's transaction: the SIEM streams send them now, and the
        // evaluator raises their alert now rather than at its next tick.
        governance = new GovernanceComponents(config.getGovernance(), config.getAlerting().getOverdueAfter(), store, audit,
                clock, prometheus, () -> {
                    auditStreams.nudge();
                    alerts.evaluateSoon();
                });
        orphanKeys = new OrphanLeafKeys(store, backends);
        RotationListener daemon = (before, after, took) -> {
            rotationMetrics.afterStep(before, after, took);
            // A finished rotation is looked at now rather than at the next tick; but a new credential's first version,
            // issued, resolves no alert (it has no earlier rotation), and what it might raise (a certificate valid for
            // less than the expiry warning) waits for the tick: a batch creation issues thousands of them.
            if (after.state() != RotationState.RUNNING) {
                if (!(after.trigger() == RotationTrigger.INITIAL && after.state() == RotationState.SUCCEEDED)) {
                    alerts.evaluateSoon();
                }
                orphanKeys.rotationEnded(after);
            }
        };
        RotationListener listener = both(b.listener, daemon);
        executor = new RotationExecutor(store, backends, targets, workflow, audit, work, locks, clock,
                ScheduleCalculator.from(config.getRotation()), authorities, revocations, listener);
        rotations = new RotationService(store, workflow, executor, revocations, audit, work, clock);
        agents = new AgentService(store, audit, work, clock);
        credentials = new CredentialService(store, backends, targets, rotations, audit, config.getRotation(), clock,
                authorities);
        // The wall clock: trusting a cache is a matter of real time since the database was last heard.
        boolean postgres = config.getDatabase().getUrl().startsWith("jdbc:postgresql:");
        CacheFactory caches = config.getCache();
        tokenCache = caches.build(caches.getMaxTokens(), postgres, Clock.systemUTC());
        NotifiedCache<List<String>, PresentedKey> apiKeyCache = caches.build(caches.getMaxApiKeys(), postgres,
                Clock.systemUTC());
        // Every transaction of this node may have changed a version, a credential, an agent or a rotation.
        store.afterEachTransaction(apiKeyCache::invalidateAll);
        // The CAs client certificates are checked against (auth.mtls): a few entries, one per CA.
        trustedCas = caches.build(64, postgres, Clock.systemUTC());
        store.afterEachTransaction(trustedCas::invalidateAll);
        verifier = new ApiKeyVerifier(store, backends, audit, apiKeyCache, new ApiKeyVerificationMetrics(prometheus),
                governance.usageRecorder(), clock);
        ParallelSteps batchThreads = new ParallelSteps(BATCH_THREADS);
        ParallelSteps deliveryThreads = new ParallelSteps(BATCH_THREADS, "rotakey-delivery-");
        credentialBatch = new CredentialBatch(store, credentials, targets, backends, audit, new FirstVersions(store,
                backends, targets, authorities, workflow, audit, work, locks, clock,
                ScheduleCalculator.from(config.getRotation()), listener, batchThreads, executor,
                node.clustered() ? config.getScheduler().getCheckinInterval().multipliedBy(2) : null));
        acknowledgements = new AcknowledgementService(store, backends, audit, work, clock,
                governance.usageRecorder());
        planner = new RotationPlanner(store, clock, pausedOrUnknown::getAsBoolean);
        credentialQueries = new CredentialQueries(store, credentials);
        operatorQueries = new OperatorQueries(store);
        BooleanSupplier running = scheduler == null ? () -> false : scheduler::running;
        // Quartz checks in by the wall clock, so the nodes' health is judged by it, not by the injected clock.
        ClusterNodes clusterNodes = new ClusterNodes(node, config.getScheduler().getInstanceName(), running,
                Clock.systemUTC());
        status = new StatusReport(store, clusterNodes, pausedOrUnknown, running, backends);
        fleetQueries = new FleetQueries(store, clock);
        batchedRotations = new BatchedRotations(store, backends, targets, authorities, workflow, audit, work, locks, clock,
                ScheduleCalculator.from(config.getRotation()), listener, batchThreads, deliveryThreads, revocations,
                config.getScheduler().rotationThreads(), node.clustered() ? config.getScheduler().getCheckinInterval().multipliedBy(2) : null);
        due = new DueRotations(store, rotations, batchedRotations, work, clock,
                node.clustered() ? BatchedRotations.CHUNK : 10 * BatchedRotations.CHUNK, !node.clustered(),
                pausedOrUnknown);
        jobs = new ScheduledWork(rotations, revocations, due);
        batches = new Batches(config.getBatches(), store, audit, node, clusterNodes, rotations, batchedRotations,
                revocations, work, clock);
        // The wall clock, not the injected one: the budget of audited failures is a rate, whatever time tests set.
        LockoutFactory lockout = config.getAuth().getLockout();
        authenticationFailures = new AuthenticationFailures(audit, Clock.systemUTC(), !lockout.isEnabled() ? null
                : new GuessingLockout(lockout.getFailures(), lockout.getWindow(), lockout.getDuration(), Clock.systemUTC()));
        tokens = new OperatorTokens(store, audit, clock, tokenCache);
        auditKeys = new AuditSigningKeys(backends, config.getAudit().getCheckpoints());
        auditCheckpoints = new AuditCheckpoints(store, auditKeys, config.getAudit().getCheckpoints().getEvery(), clock, node);
        // Registers the fleet gauges; they query the database when scraped, at most once per refresh interval.
        new FleetMetrics(prometheus, store, backends, scheduler == null ? () -> false : scheduler::paused, clock,
                config.getAlerting().getOverdueAfter(), config.getPrometheus().getFleetRefreshInterval(),
                config.getPrometheus().isPerCredentialSeries());
        NodeInfoMetrics.register(prometheus, node);

        // Started in this order, stopped in reverse: backends before the scheduler that uses them.
        if (quartzPool != null) {
            managed.add(quartzPool);
        }
        // What is created once (keys, CAs, the bootstrap token) is created by one node of a cluster at a time.
        StartupSequence startup = new StartupSequence(clusterLocks);
        managed.add(startup.begin());
        managed.add(new Managed() {
            @Override
            public void start() {
                backends.startAll();
            }

            @Override
            public void stop() {
                backends.close();
                targets.close();
            }
        });
        // Stopped after everything that records events but the backends, so that its last checkpoint signs them all.
        managed.add(auditCheckpoints);
        // Stopped after everything that records events: what they recorded last is on its way when it stops.
        managed.add(auditStreams);
        managed.add(authorities);
        if (postgres && caches.isEnabled()) {
            // Other nodes' (and tools') changes reach this node's caches through LISTEN/NOTIFY.
            managed.add(caches.listener(Map.of(TokenDao.CHANGES_CHANNEL, tokenCache,
                    PresentedKeyDao.CHANGES_CHANNEL, apiKeyCache, CertificateAuthorityDao.CHANGES_CHANNEL, trustedCas), config.getDatabase()::openUnpooled, Clock.systemUTC()));
        }
        if (b.adminTokenFile != null) {
            managed.add(new BootstrapToken(store, audit, clock, node.clustered(), tokenCache).atStart(b.adminTokenFile));
        }
        managed.add(startup.end());
        // CRLs are re-signed before they lapse, and RETIRING CA generations retire without an operator.
        managed.add(new FixedDelayWork("crl-refresher", Duration.ofMinutes(1), authorities::refreshCrls));
        // Tokens' last uses are noted in memory by each request and written together, the last ones at stop.
        managed.add(tokens.lastUseWriter());
        // Posture findings and usage anomalies become audit events (and so reach the SIEM export): stopped before the
        // audit streams and checkpoints.
        managed.addAll(governance.recorders());
        Duration checkin = config.getScheduler().getCheckinInterval();
        if (scheduler != null) {
            managed.add(scheduler);
            managed.add(immediate);
            if (node.clustered()) {
                managed.add(new FixedDelayWork("cluster-sweep", checkin, new ClusterSweep(scheduler, checkin, clock)));
            } else {
                // Work that came within the trigger horizon (on a cluster, the cluster's sweep does this).
                managed.add(new FixedDelayWork("schedule-horizon", config.getScheduler().horizonSweepInterval(),
                        scheduler::reconcile));
            }
        }
        // After the scheduler: stopped before it, so that a batch's triggers still being stored reach it; before the
        // batches' runner, which finishes the chunk it is on with these threads when it stops.
        managed.add(batchThreads);
        managed.add(deliveryThreads);
        // Stopped before the threads they use, after the batches that feed them.
        managed.add(batchedRotations.lanes());
        // Feeds the lanes: stopped before them, handing what waits back to the scheduler, stopped after it.
        managed.add(due);
        // Batches start rotations through the scheduler: started after it, stopped before it.
        managed.add(batches.runner());
        managed.add(new FixedDelayWork("batch-sweep", checkin, batches.sweep()));
        // The dispatcher starts before the evaluator that feeds it and stops after it.
        managed.add(alertDispatcher);
        managed.add(alerts);
        managed.add(governance.deadlineWork((agent, actor) -> batches.operator().decommission(agent, actor),
                alerts::evaluateSoon));
        managed.add(new Managed() {
            @Override
            public void start() {
                // Claims for credentials created before they were recorded; shared resources are logged as warnings.
                new BindingClaims(targets).backfill(store);
                orphanKeys.sweep();
                rotations.resumeInFlight();
                // What this node's batches had left when it stopped (and, alone, any node's).
                batches.sweep().run();
            }
        });
    }

    /** Starts building the components of {@code config}, whose clock is {@code clock} and whose database is {@code store}. */
    public static Builder builder(RotakeyConfiguration config, Clock clock, Store store) {
        return new Builder(config, clock, store);
    }

    /** The SIEM streams send a committed event now; a revoked key presented is looked at now rather than at the next tick. */
    private void afterAuditCommit(AuditAction action) {
        auditStreams.nudge();
        if (action == AuditAction.API_KEY_REVOKED_PRESENTED) {
            alerts.evaluateSoon();
        }
    }

    private JobHandler jobs() {
        return jobs;
    }

    private static RotationListener both(RotationListener first, RotationListener then) {
        return first == null ? then : (before, after, took) -> {
            first.afterStep(before, after, took);
            then.afterStep(before, after, took);
        };
    }

    /** Everything with a lifecycle, in the order it starts (it stops in reverse): Dropwizard's lifecycle takes it as it is. */
    public List<Managed> managed() {
        return List.copyOf(managed);
    }

    /** The Quartz scheduler: its kill switch, health and tasks. */
    public QuartzWorkScheduler scheduler() {
        if (scheduler == null) {
            throw new IllegalStateException("built with a WorkScheduler of the test's own, not Quartz");
        }
        return scheduler;
    }

    /** Rotakey's own labelled rotakey_* metrics; the daemon exports Dropwizard's into it too. */
    public PrometheusRegistry prometheus() {
        return prometheus;
    }

    /** This node: its instance id and whether it is one of a cluster. */
    public NodeIdentity node() {
        return node;
    }

    public Store store() {
        return store;
    }

    public AuditLog audit() {
        return audit;
    }

    /** Checks the audit chain. */
    public AuditChainVerifier auditVerifier() {
        return new AuditChainVerifier(store, auditKeys);
    }

    /** Signs the audit chain's head. */
    public AuditCheckpoints auditCheckpoints() {
        return auditCheckpoints;
    }

    /** Writes ranges of the audit chain for auditors. */
    public AuditExport auditExport() {
        return new AuditExport(store, auditKeys);
    }

    public KeyBackends backends() {
        return backends;
    }

    public Targets targets() {
        return targets;
    }

    public CertificateAuthorities authorities() {
        return authorities;
    }

    public RotationExecutor executor() {
        return executor;
    }

    public RevocationService revocations() {
        return revocations;
    }

    public RotationService rotations() {
        return rotations;
    }

    public Attestations attestations() {
        return governance.attestations();
    }

    /** The attestation deadlines' check, run on its timer: tests run it at once. */
    public AttestationDeadlines attestationDeadlines() {
        return governance.deadlines();
    }

    public AgentChanges agentChanges() {
        return governance.agentChanges();
    }

    public AgentService agents() {
        return agents;
    }

    public CredentialService credentials() {
        return credentials;
    }

    public CredentialBatch credentialBatch() {
        return credentialBatch;
    }

    public AcknowledgementService acknowledgements() {
        return acknowledgements;
    }

    public ApiKeyVerifier verifier() {
        return verifier;
    }

    public RotationPlanner planner() {
        return planner;
    }

    public AlertDispatcher alertDispatcher() {
        return alertDispatcher;
    }

    public AlertEvaluator alerts() {
        return alerts;
    }

    public OrphanLeafKeys orphanKeys() {
        return orphanKeys;
    }

    public OperatorTokens tokens() {
        return tokens;
    }

    /** The clock every service was given (a test's own, in tests). */
    public Clock clock() {
        return clock;
    }

    /** The cache of authenticated bearer tokens, by digest. */
    /** The CA generations and CRLs client certificates are checked against, as this node last read them. */
    public NotifiedCache<String, List<TrustedGeneration>> trustedCas() {
        return trustedCas;
    }

    public NotifiedCache<String, Operator> tokenCache() {
        return tokenCache;
    }

    public CredentialQueries credentialQueries() {
        return credentialQueries;
    }

    public OperatorQueries operatorQueries() {
        return operatorQueries;
    }

    public StatusReport status() {
        return status;
    }

    /** The fleet-wide aggregates of {@code GET /api/v1/fleet} and {@code /rotations}, and the dashboard. */
    public FleetQueries fleetQueries() {
        return fleetQueries;
    }

    public PostureReports posture() {
        return governance.posture();
    }

    public AuthenticationFailures authenticationFailures() {
        return authenticationFailures;
    }

    /** Operators' rotations of many credentials, run together a chunk at a time. */
    public BatchedRotations batchedRotations() {
        return batchedRotations;
    }

    /** The operator's tasks on many credentials, answered at once and carried out as batches. */
    public Batches batches() {
        return batches;
    }

    /**
     * Collects the configuration and the few things only the application has, plus the hooks by which a test
     * replaces a part of the graph. Nothing built is changed afterwards: there are no setters on the components.
     */
    public static final class Builder {
        private final RotakeyConfiguration config;
        private final Clock clock;
        private final Store store;
        private MetricRegistry metrics = new MetricRegistry();
        private Map<String, KeyBackend> keyBackends;
        private Map<String, Target> targets;
        private WorkScheduler workScheduler;
        private RotationListener listener;
        private Path adminTokenFile;

        private Builder(RotakeyConfiguration config, Clock clock, Store store) {
            this.config = Objects.requireNonNull(config);
            this.clock = Objects.requireNonNull(clock);
            this.store = Objects.requireNonNull(store);
        }

        /** Dropwizard's registry (the daemon's {@code environment.metrics()}): pools, Quartz jobs, target limits. */
        public Builder metrics(MetricRegistry metrics) {
            this.metrics = Objects.requireNonNull(metrics);
            return this;
        }

        /**
         * Test hook: these started backends instead of the configuration's {@code keyBackends}, used as given (not
         * instrumented), so that the tests of a class share one SoftHSM2 session.
         */
        public Builder keyBackends(Map<String, KeyBackend> byName) {
            this.keyBackends = new LinkedHashMap<>(byName);
            return this;
        }

        /**
         * Test hook: these targets instead of the configuration's {@code targets}, used as given (neither
         * instrumented nor limited): a decorated, failing or recording target.
         */
        public Builder targets(Map<String, Target> byName) {
            this.targets = new LinkedHashMap<>(byName);
            return this;
        }

        /**
         * Test hook: the services schedule deferred work through this instead of Quartz, and neither Quartz nor its
         * pool is built (so {@link #scheduler()} is unavailable and the kill switch reads "not paused"). For tests
         * that run scheduled work by hand at a time of their choosing.
         */
        public Builder workScheduler(WorkScheduler scheduler) {
            this.workScheduler = Objects.requireNonNull(scheduler);
            return this;
        }

        /**
         * Test hook: told of each persisted rotation step before the daemon's own listener (metrics, alerts,
         * orphan keys), so a test can stop a rotation dead after an exact step, as a killed process would, and a
         * benchmark can time the steps.
         */
        public Builder rotationListener(RotationListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return this;
        }

        /**
         * The daemon's {@code auth.adminTokenFile}: the bootstrap admin token is made sure of when the components
         * start, inside the cluster's start-up lock. Tests that issue their own tokens leave it out.
         */
        public Builder adminTokenFile(Path file) {
            this.adminTokenFile = Objects.requireNonNull(file);
            return this;
        }

        public RotakeyComponents build() {
            return new RotakeyComponents(this);
        }
    }

    /** The usage telemetry, or null when it is off: tests flush it by hand. */
    public UsageTelemetry usage() {
        return governance.usage();
    }
}
