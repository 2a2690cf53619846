package dev.rotakey.schedule;

import com.codahale.metrics.MetricRegistry;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.SchedulerFactory;
import dev.rotakey.core.Coalescer;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.ScheduleDao;
import dev.rotakey.db.Store;
import io.dropwizard.lifecycle.Managed;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.impl.matchers.GroupMatcher;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Quartz with its JDBC job store in Rotakey's database: one-shot triggers for each credential's
 * next rotation, each waiting rotation, each grace-period revocation and each ephemeral agent's
 * expiry. Missed triggers fire at once on start; pausing holds the rotation and revocation groups.
 */
public final class QuartzWorkScheduler implements WorkScheduler, Managed {
    static final String ROTATE = "rotate";
    static final String CONTINUE = "continue";
    static final String REVOKE = "revoke";
    static final String DECOMMISSION = "decommission";
    private static final List<String> GROUPS = List.of(ROTATE, CONTINUE, REVOKE, DECOMMISSION);
    /** The groups the kill switch holds: scheduled rotations and revocations. Operators' own work is never held. */
    private static final List<String> PAUSABLE = List.of(ROTATE, REVOKE);
    private static final Logger LOG = LoggerFactory.getLogger(QuartzWorkScheduler.class);
    /** How far in the past {@link #continueRotationFirst} puts its trigger, at least: beyond the misfire threshold. */
    private static final Duration AHEAD = Duration.ofDays(1);
    private static final int FIRST_PRIORITY = 10;
    private static final int RECONCILE_PAGE = 1000;

    private final SchedulerFactory config;
    private final NodeIdentity node;
    private final DataSource dataSource;
    private final boolean postgres;
    private final Store store;
    private final MetricRegistry metrics;
    private final String providerName = "rotakey-" + UUID.randomUUID();
    private final Supplier<JobHandler> handler;
    private final Coalescer<Trigger> triggers = new Coalescer<>(256, this::storeTogether);
    private final TriggersBehind behind = new TriggersBehind(this::storeTogether);
    private volatile Scheduler scheduler;

    /**
     * @param handler asked for the services that do the work when the scheduler starts: they schedule through
     *                this scheduler, so they are built after it
     */
    public QuartzWorkScheduler(SchedulerFactory config, NodeIdentity node, DataSource dataSource, boolean postgres,
                               Store store, MetricRegistry metrics, Supplier<JobHandler> handler) {
        this.config = config;
        this.node = node;
        this.dataSource = dataSource;
        this.postgres = postgres;
        this.store = store;
        this.metrics = metrics;
        this.handler = handler;
    }

    @Override
    public void start() throws SchedulerException {
        JobHandler jobs = Objects.requireNonNull(handler.get(), "no job handler");
        DBConnectionManager.getInstance().addConnectionProvider(providerName, new PooledConnections(dataSource));
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", config.getInstanceName());
        p.setProperty("org.quartz.scheduler.instanceId", config.isClustered() ? node.instanceId() : "NON_CLUSTERED");
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
        p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(config.getThreads()));
        p.setProperty("org.quartz.threadPool.threadNamePrefix", "rotakey-worker");
        p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        p.setProperty("org.quartz.jobStore.driverDelegateClass", postgres
                ? "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate" : "org.quartz.impl.jdbcjobstore.StdJDBCDelegate");
        p.setProperty("org.quartz.jobStore.dataSource", providerName);
        p.setProperty("org.quartz.jobStore.tablePrefix", "QRTZ_");
        p.setProperty("org.quartz.jobStore.useProperties", "true");
        p.setProperty("org.quartz.jobStore.isClustered", Boolean.toString(config.isClustered()));
        p.setProperty("org.quartz.jobStore.clusterCheckinInterval", Long.toString(config.getCheckinInterval().toMillis()));
        if (config.isClustered()) {
            // Work scheduled by another node is seen at this node's next look at the table: every check-in interval,
            // not Quartz's 30 s, so that an idle node joins a mass rotation or a recovery at once.
            p.setProperty("org.quartz.scheduler.idleWaitTime", Long.toString(config.getCheckinInterval().toMillis()));
        }
        p.setProperty("org.quartz.jobStore.misfireThreshold", Long.toString(config.getMisfireThreshold().toMillis()));
        // Batching lets one scheduler thread hand many due triggers to the workers at once (fleet-wide due times).
        p.setProperty("org.quartz.scheduler.batchTriggerAcquisitionMaxCount", Integer.toString(config.getThreads()));
        Scheduler s = new StdSchedulerFactory(p).getScheduler();
        // Quartz keeps one scheduler per name per JVM and would hand a second node in this JVM (tests that run two
        // service graphs) the first one's: each node keeps its own.
        SchedulerRepository.getInstance().remove(config.getInstanceName());
        s.setJobFactory((bundle, sched) -> new RotakeyJob(jobs, metrics));
        for (String group : GROUPS) {
            s.addJob(job(group), true);
        }
        scheduler = s;
        reconcile();
        s.start();
        behind.start();
        LOG.info("scheduler started ({} threads, {}{})", config.getThreads(), postgres ? "PostgreSQL" : "H2",
                config.isClustered() ? ", clustered as node " + node.instanceId() : "");
    }

    /**
     * Creates the triggers of work the database holds due within the trigger horizon but Quartz does not: work that
     * came within the horizon since the last sweep, or lost its trigger (a crash between a commit and its scheduling
     * call). Idempotent; run at start, then every {@link SchedulerFactory#horizonSweepInterval()} (on a cluster, by
     * every node at each check-in).
     */
    public void reconcile() {
        String sched = config.getInstanceName();
        // A page at a time (what is scheduled leaves the next page's look-up), the rotations a page per transaction:
        // after a restore, a whole fleet may be missing its triggers.
        Instant until = Instant.now().plus(config.getTriggerHorizon());
        int n = eachPage(() -> store.read(x -> x.schedules().rotationsWithoutTrigger(sched, until, RECONCILE_PAGE)), page -> {
            Map<String, Instant> at = new LinkedHashMap<>();
            page.forEach(d -> at.put(d.credentialId(), d.at()));
            rotateAllAt(at);
        });
        n += eachPage(() -> store.read(x -> x.schedules().revocationsWithoutTrigger(sched, until, RECONCILE_PAGE)),
                page -> page.forEach(d -> revokeAt(d.credentialId(), d.version(), d.at())));
        n += eachPage(() -> store.read(x -> x.schedules().expiriesWithoutTrigger(sched, RECONCILE_PAGE)),
                page -> page.forEach(d -> decommissionAt(d.credentialId(), d.at())));
        if (n > 0) {
            LOG.info("re-created {} missing trigger(s) from the database", n);
        }
    }

    /**
     * Schedules what {@code query} finds, a page at a time, until a page is not full, or one brings nothing new (what
     * could not be scheduled is found again: it is left to the next reconciliation).
     */
    private static int eachPage(Supplier<List<ScheduleDao.Due>> query, Consumer<List<ScheduleDao.Due>> schedule) {
        int n = 0;
        ScheduleDao.Due first = null;
        while (true) {
            List<ScheduleDao.Due> page = query.get();
            if (page.isEmpty() || page.get(0).equals(first)) {
                return n;
            }
            first = page.get(0);
            schedule.accept(page);
            n += page.size();
            if (page.size() < RECONCILE_PAGE) {
                return n;
            }
        }
    }

    /**
     * On a cluster: resumes rotations that another node committed and died before scheduling (RUNNING, no trigger,
     * untouched for two check-in intervals), so that no node's restart is needed to finish them. Idempotent.
     *
     * @return how many were resumed
     */
    public int resumeUnscheduled(Instant now) {
        Instant quietSince = now.minus(config.getCheckinInterval().multipliedBy(2));
        int n = 0;
        for (ScheduleDao.Due d : store.read(x -> x.schedules().continuationsWithoutTrigger(config.getInstanceName(),
                quietSince, 1_000))) {
            resumeRotation(d.credentialId(), d.at() == null || d.at().isBefore(now) ? now : d.at());
            n++;
        }
        if (n > 0) {
            LOG.warn("resumed {} rotation(s) left without a trigger by a node that stopped", n);
        }
        return n;
    }

    @Override
    public void stop() throws SchedulerException {
        try {
            // What is still pending is stored first; anything lost is re-created by the next start's reconciliation.
            behind.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Scheduler s = scheduler;
        if (s != null) {
            // Waits for running steps: each is persisted on completion, so whatever is left resumes on the next start.
            s.shutdown(true);
            scheduler = null;
        }
    }

    @Override
    public void rotateAt(String credentialId, Instant at) {
        triggers.submit(rotation(credentialId, at));
    }

    @Override
    public void rotateEventually(String credentialId, Instant at) {
        eventually(rotation(credentialId, at));
    }

    /** All in one Quartz transaction, instead of two per credential: a batch creation's thousand new credentials. */
    @Override
    public void rotateAllAt(Map<String, Instant> atByCredential) {
        if (atByCredential.isEmpty()) {
            return;
        }
        // Already a batch: stored at once, replacing a trigger already there for one of them (another node's sweep);
        // what is due beyond the horizon is left to its sweep.
        List<Trigger> near = atByCredential.entrySet().stream().filter(e -> !beyondHorizon(e.getValue()))
                .map(e -> rotation(e.getKey(), e.getValue())).toList();
        if (!near.isEmpty()) {
            storeTogether(near);
        }
    }

    @Override
    public void continueRotationAt(String rotationId, Instant at) {
        schedule(CONTINUE, rotationId, at, "rotation", rotationId);
    }

    /**
     * Quartz hands out due triggers oldest fire time first (priority only breaks ties), so a trigger due now waits
     * behind every trigger that fell due before it: thousands, during a mass rotation. This one is given a fire time
     * older than any other due trigger can be (a day, or twice the misfire threshold: older ones count as misfired
     * and are moved to "now"), with misfires ignored so that it keeps it, and a high priority: it is the first taken
     * once a worker is free.
     */
    @Override
    public void continueRotationFirst(String rotationId, Instant at) {
        Instant now = Instant.now();
        if (at.isAfter(now)) {
            continueRotationAt(rotationId, at);
            return;
        }
        Duration ahead = AHEAD.compareTo(config.getMisfireThreshold().multipliedBy(2)) > 0 ? AHEAD
                : config.getMisfireThreshold().multipliedBy(2);
        schedule(CONTINUE, rotationId, now.minus(ahead), true, "rotation", rotationId);
    }

    @Override
    public void resumeRotation(String rotationId, Instant at) {
        if (node.clustered()) {
            try {
                // Scheduled, or firing on a node (the trigger stays until its job ends): Quartz runs or recovers it.
                if (require().checkExists(TriggerKey.triggerKey(rotationId, CONTINUE))) {
                    return;
                }
            } catch (SchedulerException e) {
                throw new IllegalStateException("cannot look up rotation " + rotationId + ": " + e.getMessage(), e);
            }
        }
        continueRotationAt(rotationId, at);
    }

    @Override
    public void revokeAt(String credentialId, int version, Instant at) {
        triggers.submit(revocation(credentialId, version, at));
    }

    @Override
    public void revokeEventually(String credentialId, int version, Instant at) {
        eventually(revocation(credentialId, version, at));
    }

    /**
     * Stores {@code t} in the background, unless it is due beyond the horizon: then the horizon's sweep stores it when
     * it comes near, and one asked for earlier under its key and not stored yet is dropped.
     */
    private void eventually(Trigger t) {
        if (beyondHorizon(t.getStartTime().toInstant())) {
            behind.cancel(t.getKey());
        } else {
            behind.add(t);
        }
    }

    /** Whether {@code at} is beyond the trigger horizon: its trigger is left to the horizon's sweep ({@link #reconcile}). */
    private boolean beyondHorizon(Instant at) {
        return at.isAfter(Instant.now().plus(config.getTriggerHorizon()));
    }

    private static Trigger rotation(String credentialId, Instant at) {
        return trigger(ROTATE, credentialId, at, false, "credential", credentialId);
    }

    private static Trigger revocation(String credentialId, int version, Instant at) {
        return trigger(REVOKE, credentialId + "#v" + version, at, false, "credential", credentialId,
                "version", Integer.toString(version));
    }

    @Override
    public void decommissionAt(String agentId, Instant at) {
        schedule(DECOMMISSION, agentId, at, "agent", agentId);
    }

    @Override
    public void forgetCredential(String credentialId) {
        // Only the rotation trigger: a leftover revocation trigger finds its version already revoked and does nothing.
        // (One being stored at this moment is dropped when it fires: the credential is no longer active.)
        behind.cancel(TriggerKey.triggerKey(credentialId, ROTATE));
        try {
            require().unscheduleJob(TriggerKey.triggerKey(credentialId, ROTATE));
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot unschedule credential " + credentialId + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #forgetCredential}, for many credentials in one Quartz transaction. */
    @Override
    public void forgetAll(Collection<String> credentialIds) {
        List<TriggerKey> keys = credentialIds.stream().map(id -> TriggerKey.triggerKey(id, ROTATE)).toList();
        keys.forEach(behind::cancel);
        try {
            require().unscheduleJobs(keys);
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot unschedule " + keys.size() + " credentials: " + e.getMessage(), e);
        }
    }

    /** The kill switch: holds scheduled rotations and revocations until {@link #resume()}. */
    public void pause() throws SchedulerException {
        for (String g : PAUSABLE) {
            require().pauseTriggers(GroupMatcher.triggerGroupEquals(g));
        }
    }

    /** Releases the kill switch; what fell due meanwhile fires at once. */
    public void resume() throws SchedulerException {
        for (String g : PAUSABLE) {
            require().resumeTriggers(GroupMatcher.triggerGroupEquals(g));
        }
    }

    public boolean paused() throws SchedulerException {
        Set<String> paused = require().getPausedTriggerGroups();
        return paused.containsAll(PAUSABLE);
    }

    /** Whether rotations are paused; false when the scheduler cannot say (it is not running, which alerts of its own). */
    public boolean pausedOrUnknown() {
        try {
            return paused();
        } catch (SchedulerException | RuntimeException e) {
            return false;
        }
    }

    public boolean running() {
        try {
            Scheduler s = scheduler;
            return s != null && s.isStarted() && !s.isShutdown() && !s.isInStandbyMode();
        } catch (SchedulerException e) {
            return false;
        }
    }

    /** When the credential's next rotation trigger fires, if one is scheduled. */
    public Instant nextRotation(String credentialId) throws SchedulerException {
        Trigger t = require().getTrigger(TriggerKey.triggerKey(credentialId, ROTATE));
        return t == null || t.getNextFireTime() == null ? null : t.getNextFireTime().toInstant();
    }

    private void schedule(String group, String name, Instant at, String... data) {
        schedule(group, name, at, false, data);
    }

    /** The one durable job of a group, which every trigger of the group fires. */
    private static JobDetail job(String group) {
        return JobBuilder.newJob(RotakeyJob.class).withIdentity(group, group).storeDurably().requestRecovery(true).build();
    }

    /** @param first a trigger to be taken before any other due one: {@code at} is kept as it is, misfires ignored */
    private static Trigger trigger(String group, String name, Instant at, boolean first, String... data) {
        // Work already due runs now. Quartz would take a start time older than the misfire threshold for a
        // misfire, which only its misfire handler picks up, once per threshold: up to a minute late by default.
        Instant now = Instant.now();
        TriggerBuilder<Trigger> b = TriggerBuilder.newTrigger()
                .withIdentity(name, group)
                .forJob(JobKey.jobKey(group, group))
                .startAt(Date.from(first || !at.isBefore(now) ? at : now))
                .withPriority(first ? FIRST_PRIORITY : Trigger.DEFAULT_PRIORITY);
        for (int i = 0; i < data.length; i += 2) {
            b.usingJobData(data[i], data[i + 1]);
        }
        SimpleScheduleBuilder once = SimpleScheduleBuilder.simpleSchedule();
        return b.withSchedule(first ? once.withMisfireHandlingInstructionIgnoreMisfires()
                : once.withMisfireHandlingInstructionFireNow()).build();
    }

    private void schedule(String group, String name, Instant at, boolean first, String... data) {
        triggers.submit(trigger(group, name, at, first, data));
    }

    /**
     * Stores the triggers that threads asked for together (a mass rotation's next rotations and revocations) in one
     * Quartz transaction: each store otherwise costs a pass through Quartz's trigger lock and several statements, more
     * than a step's own work. Replacing: a trigger already there (a retry, another node's sweep or recovery) takes
     * the new time; of two for one key in a batch, the later asked for wins.
     */
    private void storeTogether(List<Trigger> batch) {
        Map<TriggerKey, Trigger> byKey = new LinkedHashMap<>();
        batch.forEach(t -> byKey.put(t.getKey(), t));
        Map<String, Set<Trigger>> byGroup = new LinkedHashMap<>();
        byKey.values().forEach(t -> byGroup.computeIfAbsent(t.getJobKey().getGroup(), g -> new HashSet<>()).add(t));
        Map<JobDetail, Set<? extends Trigger>> jobs = new LinkedHashMap<>();
        byGroup.forEach((group, triggers) -> jobs.put(job(group), triggers));
        try {
            require().scheduleJobs(jobs, true);
        } catch (SchedulerException e) {
            Trigger one = batch.get(0);
            throw new IllegalStateException("cannot schedule " + one.getKey().getGroup() + " " + one.getKey().getName()
                    + (batch.size() > 1 ? " and " + (batch.size() - 1) + " other(s)" : "") + ": " + e.getMessage(), e);
        }
    }

    private Scheduler require() {
        Scheduler s = scheduler;
        if (s == null) {
            throw new IllegalStateException("the scheduler is not running");
        }
        return s;
    }

    /** Hands Quartz connections from Rotakey's own pool (Quartz's built-in pool needs c3p0). */
    private record PooledConnections(DataSource dataSource) implements ConnectionProvider {
        @Override
        public Connection getConnection() throws SQLException {
            return dataSource.getConnection();
        }

        @Override
        public void shutdown() {
            // The pool belongs to the application's lifecycle, not to Quartz.
        }

        @Override
        public void initialize() {
            // Nothing to set up: the pool is built and started by Dropwizard.
        }
    }
}
