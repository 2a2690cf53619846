package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.FailPoints;
import dev.rotakey.core.IssuedMaterial;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.VersionState;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Daos;
import dev.rotakey.db.DeliveryDao;
import dev.rotakey.db.RotationDao;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Targets;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Runs operators' rotations of many credentials together, a chunk at a time, through the steps {@link RotationExecutor}
 * runs one rotation through, with one transaction per step for the whole chunk instead of one per step of each
 * rotation: the chunk's rotations are started together; their material is made in parallel and recorded PENDING
 * together; it is delivered and verified in parallel, and the deliveries, verifications and promotions are committed
 * together. Nothing reaches a target before its PENDING version is durable, and nothing acts on a promotion (the
 * superseded version's revocation) before it is durable (docs/design.md, "Durability before effect").
 *
 * <p>A rotation whose step fails has its failure recorded as the executor records it and goes on in the scheduler's
 * workers; one that a crash interrupts is resumed at the next start like any rotation in flight. A credential that
 * needs the executor's recovery first (a version PENDING from an earlier life, a failed version still to be removed
 * from a target) is not started here: {@link Outcome.Kind#ALONE} says to start it on its own.
 */
public final class BatchedRotations {
    private static final Logger LOG = LoggerFactory.getLogger(BatchedRotations.class);
    /** Credentials per chunk: they are locked while their chunk runs, so other work on their lock stripes waits. */
    public static final int CHUNK = 100;

    private final Store store;
    private final KeyBackends backends;
    private final RotationWorkflow workflow;
    private final AuditLog audit;
    private final WorkScheduler scheduler;
    private final CredentialLocks locks;
    private final Clock clock;
    private final ScheduleCalculator schedule;
    private final RotationListener listener;
    private final ParallelSteps makers;
    private final ParallelSteps movers;
    private final RevocationService revocations;
    private final MaterialIssuer issuer;
    private final BindingFanOut fanOut;
    private final BindingRecords bindings;
    private final StepRecords records;
    private final Duration sweptAfter;
    private final RotationLanes lanes;

    /**
     * @param listener   told of each persisted step, as {@link RotationExecutor}'s listener is
     * @param makers     the threads that make material
     * @param movers     the threads that deliver and verify it (others than the makers', so that one chunk's
     *                   deliveries never hold up the next one's material)
     * @param lanes      how many chunks of different batches run at once ({@link RotationLanes})
     * @param sweptAfter on a cluster, how long a running rotation may stay untouched before other nodes' sweeps take
     *                   it up (two check-in intervals); null on a single node, which has no sweep
     */
    public BatchedRotations(Store store, KeyBackends backends, Targets targets, CertificateAuthorities authorities,
                            RotationWorkflow workflow,
                            AuditLog audit, WorkScheduler scheduler, CredentialLocks locks, Clock clock,
                            ScheduleCalculator schedule, RotationListener listener, ParallelSteps makers, ParallelSteps movers,
                            RevocationService revocations, int lanes, Duration sweptAfter) {
        this.store = store;
        this.backends = backends;
        this.workflow = workflow;
        this.audit = audit;
        this.scheduler = scheduler;
        this.locks = locks;
        this.clock = clock;
        this.schedule = schedule;
        this.listener = listener;
        this.makers = makers;
        this.movers = movers;
        this.revocations = revocations;
        this.issuer = new MaterialIssuer(targets, authorities);
        this.fanOut = new BindingFanOut(store, targets);
        this.bindings = new BindingRecords(store, targets);
        this.records = new StepRecords(store, workflow, audit, schedule);
        this.sweptAfter = sweptAfter;
        this.lanes = new RotationLanes(this, lanes);
    }

    /** How the rotation of one credential of a chunk began. */
    public record Outcome(String credentialId, Kind kind, Rotation rotation, String detail) {
        public enum Kind {
            /** Started, by this call or (with the same correlation id) before the node stopped: {@link #rotation}. */
            STARTED,
            /** Refused: the credential is rotating already ({@link #rotation}). */
            ALREADY_ROTATING,
            NOT_FOUND,
            DECOMMISSIONED,
            /** Not started: it needs the executor's recovery first, so it is to be started on its own. */
            ALONE,
            /** Not started: its chunk could not start ({@link #detail}). */
            FAILED
        }
    }

    /** One credential on its way to a new version: its rotation as last persisted, and what the steps made so far. */
    static final class Work {
        final Credential credential;
        final List<CredentialVersion> versions;
        Rotation rotation;
        IssuedMaterial material;
        List<String> references;
        List<Delivery> deliveries;
        RuntimeException deliveryFailure;
        Instant deliveredAt;
        RuntimeException verifyFailure;
        /** Its versions once the promotion committed; null until then. */
        List<CredentialVersion> promoted;
        Instant next;
        boolean emergency;
        /** When its rotation goes on in the scheduler's workers, once it left the chunk after a failure; else null. */
        Instant continueAt;

        Work(Credential credential, List<CredentialVersion> versions) {
            this.credential = credential;
            this.versions = versions;
        }

        String id() {
            return credential.id();
        }

        String subject() {
            return AuditSubject.version(credential.id(), rotation.version());
        }
    }

    /** A started chunk on its way through a lane: its locks, its rotations, and its deliveries in flight. */
    static final class Chunk {
        final List<Work> works;
        CredentialLocks.Held held;
        List<Work> created = List.of();
        Instant deliverStarted;
        ParallelSteps.Running io;
        /** Whether it stopped half-way: what it had not finished goes on in the scheduler's workers. */
        boolean stopped;

        Chunk(List<Work> works) {
            this.works = works;
        }

        int size() {
            return works.size();
        }
    }

    /** The lanes that carry started chunks through their steps: started and stopped with the daemon. */
    public Managed lanes() {
        return lanes;
    }

    /**
     * Starts the rotation of each credential, {@link #CHUNK} at a time in one transaction each, and hands each started
     * chunk to a lane ({@link RotationLanes}), which runs it through its steps in the background: this returns once
     * every rotation is started (waiting while the lanes have no room), not once they are done.
     *
     * @param correlationId the operator's request id the rotations carry; a rotation with it started at or after
     *                      {@code since} (before the node stopped) is not started again
     * @param batch         what the chunks belong to: its chunks keep to one lane
     * @return each credential's outcome, in order
     */
    public List<Outcome> rotate(List<String> credentialIds, RotationTrigger trigger, String actor, String correlationId,
                                Instant since, String batch) {
        List<Outcome> out = new ArrayList<>();
        for (int from = 0; from < credentialIds.size(); from += CHUNK) {
            List<String> ids = credentialIds.subList(from, Math.min(credentialIds.size(), from + CHUNK));
            Map<String, Outcome> outcomes = new LinkedHashMap<>();
            List<Work> works;
            try {
                works = start(ids, trigger, actor, correlationId, since, outcomes);
            } catch (RuntimeException e) {
                String error = FailureClassifier.describe(e);
                LOG.warn("a chunk of {} rotations could not start: {}", ids.size(), error, e);
                ids.forEach(id -> outcomes.put(id, new Outcome(id, Outcome.Kind.FAILED, null, error)));
                works = List.of();
            }
            if (!works.isEmpty()) {
                Chunk chunk = new Chunk(works);
                try {
                    lanes.submit(batch, chunk);
                } catch (RuntimeException e) {
                    abandon(chunk);
                }
            }
            ids.forEach(id -> out.add(outcomes.get(id)));
        }
        return out;
    }

    /**
     * Takes the chunk's locks without waiting (see {@link CredentialLocks#tryLockAll}), for a lane that holds another
     * chunk's.
     *
     * @return whether it has them now
     */
    boolean tryLock(Chunk c) {
        c.held = locks.tryLockAll(c.works.stream().map(Work::id).toList()).orElse(null);
        return c.held != null;
    }

    /** Takes the chunk's locks unless it has them (held until {@link #finish}), and makes its material. */
    void begin(Chunk c) {
        try {
            if (c.held == null) {
                c.held = locks.lockAll(c.works.stream().map(Work::id).toList());
            }
            touchIfQuiet(c.works);
            c.created = create(c.works);
        } catch (RuntimeException e) {
            stopped(c, e);
        }
    }

    /** A chunk a lane cannot take (stopping): its rotations go on in the scheduler's workers. */
    void abandon(Chunk c) {
        c.works.forEach(w -> w.continueAt = clock.instant());
        c.works.forEach(this::continueLater);
    }

    /**
     * On a cluster, marks rotations that waited long in a lane as worked on, so that other nodes' sweeps, which take
     * up rotations left quiet, leave them alone.
     */
    private void touchIfQuiet(List<Work> works) {
        if (sweptAfter != null && !works.isEmpty() && Duration.between(works.get(0).rotation.updatedAt(),
                clock.instant()).compareTo(sweptAfter.dividedBy(2)) > 0) {
            Instant now = clock.instant();
            store.txRun(tx -> tx.rotations().touch(works.stream().map(w -> w.rotation.id()).toList(), now));
        }
    }

    /** Starts delivering and verifying the chunk's material, each credential's on one of the threads. */
    void deliver(Chunk c) {
        if (c.created.isEmpty() || c.stopped) {
            return;
        }
        try {
            touchIfQuiet(c.created);
            c.deliverStarted = clock.instant();
            c.io = movers.start(c.created, w -> {
                w.deliveries = bindings.deliveries(w.credential, w.rotation.version(), w.material);
                try {
                    fanOut.deliver(w.credential, w.deliveries);
                } catch (RuntimeException e) {
                    w.deliveryFailure = e;
                    return;
                }
                FailPoints.reach("batch.after-delivery", w.id());
                w.deliveredAt = clock.instant();
                try {
                    fanOut.verify(w.credential, w.deliveries);
                } catch (RuntimeException e) {
                    w.verifyFailure = e;
                }
            });
        } catch (RuntimeException e) {
            stopped(c, e);
        }
    }

    void awaitDeliveries(Chunk c) {
        if (c.io == null) {
            return;
        }
        try {
            List<RuntimeException> thrown = c.io.await();
            for (int i = 0; i < thrown.size(); i++) {
                if (thrown.get(i) != null) {
                    // Not a target's refusal (those are kept on the item): the binding's records could not be read.
                    c.created.get(i).deliveryFailure = thrown.get(i);
                }
            }
        } catch (RuntimeException e) {
            stopped(c, e);
        }
    }

    /**
     * Commits the chunk's deliveries and promotions, releases its locks, and hands on what follows: failed rotations
     * to the scheduler's workers, promoted ones' next rotations and superseded versions' revocations to the scheduler.
     */
    void finish(Chunk c) {
        try {
            if (c.io != null && !c.stopped) {
                promoteDelivered(c);
            }
        } catch (RuntimeException e) {
            stopped(c, e);
        } finally {
            c.works.forEach(w -> {
                if (w.material != null) {
                    w.material.destroy();
                    w.material = null;
                }
            });
            if (c.held != null) {
                c.held.close();
                c.held = null;
            }
        }
        // After the locks are released: a worker continuing one of these, or a revocation, takes its lock first.
        for (Work w : c.works) {
            if (w.continueAt != null) {
                continueLater(w);
            } else if (w.promoted != null) {
                afterPromotion(w);
            }
        }
    }

    /** Started and durable: what the chunk could not finish goes on in the scheduler's workers. */
    private void stopped(Chunk c, RuntimeException e) {
        LOG.error("a chunk of rotations stopped ({}); the scheduler's workers take up the rest",
                FailureClassifier.describe(e), e);
        c.stopped = true;
        c.works.stream().filter(w -> w.promoted == null && w.continueAt == null)
                .forEach(w -> w.continueAt = clock.instant());
    }

    /** Starts the chunk's rotations in one transaction; the outcome of each credential goes to {@code outcomes}. */
    private List<Work> start(List<String> ids, RotationTrigger trigger, String actor, String correlationId,
                             Instant since, Map<String, Outcome> outcomes) {
        Instant now = clock.instant();
        List<Work> works = store.tx(tx -> {
            Map<String, Credential> credentials = tx.credentials().lockAndReadAll(ids);
            Map<String, Rotation> running = tx.rotations().runningOf(ids);
            Map<String, Rotation> mine = correlationId == null ? Map.of()
                    : tx.rotations().startedWith(ids, correlationId, since);
            Map<String, List<CredentialVersion>> versions = tx.versions().ofCredentials(ids);
            List<Work> out = new ArrayList<>();
            for (String id : ids) {
                Credential c = credentials.get(id);
                List<CredentialVersion> vs = versions.getOrDefault(id, List.of());
                if (mine.containsKey(id)) {
                    // Started before the node stopped, its outcome not recorded: not started twice.
                    outcomes.put(id, new Outcome(id, Outcome.Kind.STARTED, mine.get(id), null));
                } else if (c == null) {
                    outcomes.put(id, new Outcome(id, Outcome.Kind.NOT_FOUND, null, "credential '" + id + "' not found"));
                } else if (!c.active()) {
                    outcomes.put(id, new Outcome(id, Outcome.Kind.DECOMMISSIONED, null,
                            "credential '" + id + "' is decommissioned"));
                } else if (running.containsKey(id)) {
                    Rotation r = running.get(id);
                    outcomes.put(id, new Outcome(id, Outcome.Kind.ALREADY_ROTATING, r, "credential '" + id
                            + "' is already rotating (rotation " + r.id() + ", step "
                            + r.step().name().toLowerCase(Locale.ROOT) + ")"));
                } else if (vs.stream().anyMatch(v -> v.state() == VersionState.PENDING
                        || (v.state() == VersionState.FAILED && v.revokeError() != null))) {
                    outcomes.put(id, new Outcome(id, Outcome.Kind.ALONE, null, null));
                } else {
                    Work w = new Work(c, vs);
                    int version = vs.stream().mapToInt(CredentialVersion::version).max().orElse(0) + 1;
                    String correlation = correlationId != null ? correlationId
                            : Optional.ofNullable(MDC.get(AuditLog.MDC_CORRELATION)).orElse(UUID.randomUUID().toString());
                    w.rotation = workflow.start(id, version, trigger, actor, false, correlation, now);
                    out.add(w);
                }
            }
            tx.rotations().insertAll(out.stream().map(w -> w.rotation).toList());
            audit.recordAll(tx, out.stream().map(w -> new AuditLog.Entry(actor, AuditAction.ROTATION_STARTED,
                    w.subject(), "ok", "rotation=" + w.rotation.id() + " trigger=" + trigger.wireName())).toList());
            return out;
        });
        for (Work w : works) {
            outcomes.put(w.id(), new Outcome(w.id(), Outcome.Kind.STARTED, w.rotation, null));
        }
        reachEach("start.after-commit", works);
        return works;
    }

    /**
     * The CREATE step of every started rotation: material made in parallel, then every version recorded PENDING with
     * its digest and references in one transaction.
     *
     * @return the rotations now at their DELIVER step
     */
    private List<Work> create(List<Work> works) {
        Instant started = clock.instant();
        List<RuntimeException> issued = makers.run(works, w -> {
            w.material = issuer.issue(backends.get(w.credential.backend()), w.credential, w.rotation.version());
            FailPoints.reach("create.after-issue", w.id());
            w.references = fanOut.references(w.credential, w.rotation.version(), w.material);
        });
        List<Work> made = new ArrayList<>();
        for (int i = 0; i < works.size(); i++) {
            Work w = works.get(i);
            if (issued.get(i) == null) {
                made.add(w);
            } else {
                abandon(w, issued.get(i));
                failed(w, issued.get(i), started);
            }
        }
        if (made.isEmpty()) {
            return made;
        }
        Instant now = clock.instant();
        List<Work> moved;
        try {
            moved = store.tx(tx -> {
                tx.credentials().lockAll(made.stream().map(Work::id).toList());
                List<Work> ok = advanced(made, tx.rotations().advanceAll(made.stream()
                        .map(w -> Map.entry(w.rotation, workflow.stepSucceeded(w.rotation, now))).toList()));
                tx.versions().insertAll(ok.stream().map(w -> CredentialVersion.pending(w.id(), w.rotation.version(),
                        w.material.digest(), w.material.digestKeyId(), w.rotation.id(), now)).toList());
                for (Work w : ok) {
                    BindingRecords.addReferences(tx, w.id(), w.rotation.version(), w.references);
                    if (w.material.keyRef() != null) {
                        tx.versions().setKeyRef(w.id(), w.rotation.version(), w.material.keyRef());
                    }
                }
                tx.rotations().recordSteps(ok.stream().map(w -> step(w.rotation, started, now)).toList());
                audit.recordAll(tx, ok.stream().map(w -> stepEvent(w.rotation)).toList());
                return ok;
            });
        } catch (RuntimeException e) {
            made.forEach(w -> {
                abandon(w, e);
                failed(w, e, started);
            });
            return List.of();
        }
        List<Work> out = new ArrayList<>();
        for (Work w : made) {
            if (!moved.contains(w)) {
                // Another worker moved it on (a decommission's abort): never delivered, its material goes.
                abandon(w, null);
                continue;
            }
            Rotation delivering = workflow.stepSucceeded(w.rotation, now);
            listener.afterStep(w.rotation, delivering, Duration.between(started, now));
            w.rotation = delivering;
            out.add(w);
        }
        reachEach("create.after-commit", out);
        return out;
    }

    /**
     * In one transaction, the DELIVER step of every delivered rotation of the chunk, and the VERIFY and PROMOTE steps
     * of every verified one, whose new version becomes CURRENT with its next rotation due; each failure recorded.
     */
    private void promoteDelivered(Chunk c) {
        Instant deliverStarted = c.deliverStarted;
        List<Work> delivered = new ArrayList<>();
        for (Work w : c.created) {
            if (w.deliveryFailure != null) {
                failed(w, w.deliveryFailure, deliverStarted);
            } else {
                delivered.add(w);
            }
        }
        if (delivered.isEmpty()) {
            return;
        }
        // Each was verified as soon as it was delivered; the last delivery ended the chunk's DELIVER steps.
        Instant verifyStarted = delivered.stream().map(w -> w.deliveredAt).max(Instant::compareTo).orElseThrow();
        List<Work> verified = delivered.stream().filter(w -> w.verifyFailure == null).toList();
        Instant now = clock.instant();
        reachEach("promote.before-commit", delivered);
        List<Work> moved;
        try {
            moved = store.tx(tx -> promote(tx, delivered, verified, deliverStarted, verifyStarted, now));
        } catch (RuntimeException e) {
            delivered.forEach(w -> failed(w, e, deliverStarted));
            return;
        }
        for (Work w : delivered) {
            if (!moved.contains(w)) {
                LOG.info("rotation {} of {} was moved on by another worker; the batch leaves it", w.rotation.id(), w.id());
                continue;
            }
            Rotation verifying = workflow.stepSucceeded(w.rotation, verifyStarted);
            listener.afterStep(w.rotation, verifying, Duration.between(deliverStarted, verifyStarted));
            w.rotation = verifying;
            if (w.verifyFailure != null) {
                failed(w, w.verifyFailure, verifyStarted);
                continue;
            }
            Rotation promoting = workflow.stepSucceeded(verifying, now);
            listener.afterStep(verifying, promoting, Duration.between(verifyStarted, now));
            Rotation done = workflow.stepSucceeded(promoting, now);
            listener.afterStep(promoting, done, Duration.ZERO);
            w.rotation = done;
        }
        reachEach("promote.after-commit", delivered.stream().filter(w -> w.promoted != null).toList());
    }

    /** {@link #promoteDelivered}'s transaction: each rotation advanced only from its DELIVER step. */
    private List<Work> promote(Daos tx, List<Work> delivered, List<Work> verified, Instant deliverStarted,
                               Instant verifyStarted, Instant now) {
        List<String> ids = delivered.stream().map(Work::id).toList();
        Map<String, Credential> fresh = tx.credentials().lockAndReadAll(ids);
        // Re-read: an operator's emergency may have escalated a rotation since it started.
        Map<String, Rotation> stored = tx.rotations().findAll(delivered.stream().map(w -> w.rotation.id()).toList());
        List<Work> ok = advanced(delivered, tx.rotations().advanceAll(delivered.stream().map(w -> {
            Rotation after = workflow.stepSucceeded(w.rotation, verifyStarted);
            if (verified.contains(w)) {
                after = workflow.stepSucceeded(workflow.stepSucceeded(after, now), now);
            }
            return Map.entry(w.rotation, after);
        }).toList()));
        List<Work> done = ok.stream().filter(verified::contains).toList();
        tx.deliveries().deliveredFirst(bindingsOf(done), verifyStarted, now);
        tx.deliveries().deliveredFirst(bindingsOf(ok.stream().filter(w -> !verified.contains(w)).toList()),
                verifyStarted, null);
        Map<String, List<CredentialVersion>> versions = tx.versions().ofCredentials(done.stream().map(Work::id).toList());
        List<RotationDao.NewStep> steps = new ArrayList<>();
        List<AuditLog.Entry> events = new ArrayList<>();
        List<CredentialVersion> changed = new ArrayList<>();
        Map<String, Instant> next = new LinkedHashMap<>();
        for (Work w : ok) {
            steps.add(step(w.rotation, deliverStarted, verifyStarted));
            events.add(stepEvent(w.rotation));
            if (!done.contains(w)) {
                continue;
            }
            Rotation verifying = workflow.stepSucceeded(w.rotation, verifyStarted);
            Rotation promoting = workflow.stepSucceeded(verifying, now);
            steps.add(step(verifying, verifyStarted, now));
            steps.add(step(promoting, now, now));
            events.add(stepEvent(verifying));
            events.add(stepEvent(promoting));
            Credential c = fresh.getOrDefault(w.id(), w.credential);
            w.emergency = w.rotation.emergency() || (stored.containsKey(w.rotation.id())
                    && stored.get(w.rotation.id()).emergency());
            List<CredentialVersion> before = versions.getOrDefault(w.id(), List.of());
            List<CredentialVersion> changes = workflow.promote(before, w.rotation.version(), now, c.gracePeriod(),
                    w.emergency);
            changed.addAll(changes);
            w.promoted = applied(before, changes);
            if (c.active()) {
                w.next = schedule.nextDue(c, now);
                next.put(w.id(), w.next);
            }
            for (CredentialVersion v : changes) {
                events.add(new AuditLog.Entry(w.rotation.actor(), AuditAction.VERSION_PROMOTED,
                        AuditSubject.version(w.id(), v.version()), "ok",
                        "state=" + v.state() + (v.revokeAfter() == null ? "" : " revokeAfter=" + v.revokeAfter())));
            }
            events.add(new AuditLog.Entry(w.rotation.actor(), AuditAction.ROTATION_SUCCEEDED, w.subject(), "ok",
                    "rotation=" + w.rotation.id() + " trigger=" + w.rotation.trigger().wireName()));
        }
        tx.rotations().recordSteps(steps);
        tx.versions().updateAll(changed);
        tx.credentials().setNextRotations(next);
        audit.recordAll(tx, events);
        return ok;
    }

    /**
     * Passes a crash test's fail point for each of {@code works}, each on a thread of its own, as each rotation on its
     * own would: every credential it is armed for is frozen there, not only the first.
     */
    private void reachEach(String point, List<Work> works) {
        if (FailPoints.armed() && !works.isEmpty()) {
            makers.run(works, w -> FailPoints.reach(point, w.id()));
        }
    }

    /** Schedules what a promotion makes due: the next rotation, and the superseded versions' revocations. */
    private void afterPromotion(Work w) {
        if (w.next != null) {
            scheduler.rotateEventually(w.id(), w.next);
        }
        for (CredentialVersion v : w.promoted) {
            if (v.state() != VersionState.PREVIOUS) {
                continue;
            }
            if (w.emergency) {
                revocations.revokeNow(w.id(), v.version(), RevocationReason.EMERGENCY, w.rotation.actor());
            } else {
                scheduler.revokeEventually(w.id(), v.version(), v.revokeAfter());
            }
        }
    }

    private static List<CredentialVersion> applied(List<CredentialVersion> before, List<CredentialVersion> changes) {
        Map<Integer, CredentialVersion> out = new LinkedHashMap<>();
        before.forEach(v -> out.put(v.version(), v));
        changes.forEach(v -> out.put(v.version(), v));
        return List.copyOf(out.values());
    }

    private static List<Work> advanced(List<Work> items, boolean[] advanced) {
        List<Work> ok = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (advanced[i]) {
                ok.add(items.get(i));
            }
        }
        return ok;
    }

    /** Wipes material never delivered, and destroys its leaf key if the backend holds one. */
    private void abandon(Work w, RuntimeException cause) {
        if (w.material != null) {
            MaterialIssuer.abandon(backends.get(w.credential.backend()), w.material, cause);
            w.material = null;
        }
    }

    /**
     * Records {@code e} as the failure of the step {@code w} is at, as the executor does: a retry after a backoff, or
     * the clean-up; the rotation then goes on in the scheduler's workers once the chunk's locks are released.
     */
    private void failed(Work w, RuntimeException e, Instant started) {
        Rotation r = w.rotation;
        Instant now = clock.instant();
        try {
            records.stepFailed(r, e, started, now, " in a batch").ifPresent(after -> {
                listener.afterStep(r, after, Duration.between(started, now));
                w.rotation = after;
            });
            w.continueAt = w.rotation.nextAttemptAt() != null ? w.rotation.nextAttemptAt() : now;
        } catch (RuntimeException dbFailure) {
            // The database itself is failing: the rotation stays as persisted and resumes from there.
            LOG.error("cannot record the failure of rotation {}: {}", r.id(), FailureClassifier.describe(dbFailure),
                    dbFailure);
            w.continueAt = now.plus(workflow.retryPolicy().maxBackoff());
        }
    }

    /** Hands {@code w}'s rotation to the scheduler's workers; if even that fails, the next start resumes it. */
    private void continueLater(Work w) {
        try {
            scheduler.continueRotationAt(w.rotation.id(), w.continueAt);
        } catch (RuntimeException e) {
            LOG.error("cannot schedule rotation {} of {}: {}; it resumes at the next start (on a cluster, at another "
                    + "node's sweep)", w.rotation.id(), w.id(), e.toString(), e);
        }
    }

    private static RotationDao.NewStep step(Rotation r, Instant started, Instant finished) {
        return new RotationDao.NewStep(r.id(), r.step().name(), r.attempts() + 1, "OK", null, started, finished);
    }

    /** The audit event of a step done, as {@link StepRecords} records it. */
    private static AuditLog.Entry stepEvent(Rotation r) {
        return new AuditLog.Entry(r.actor(), AuditAction.ROTATION_STEP, AuditSubject.version(r.credentialId(),
                r.version()), "ok", r.step().name().toLowerCase(Locale.ROOT) + " (rotation " + r.id() + ")");
    }

    private static List<DeliveryDao.Binding> bindingsOf(List<Work> items) {
        List<DeliveryDao.Binding> out = new ArrayList<>();
        for (Work w : items) {
            for (int i = 0; i < w.credential.bindings().size(); i++) {
                out.add(new DeliveryDao.Binding(w.id(), w.rotation.version(), i, w.credential.bindings().get(i).target()));
            }
        }
        return out;
    }
}
