package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.FailPoints;
import dev.rotakey.core.IssuedMaterial;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Daos;
import dev.rotakey.db.DeliveryDao;
import dev.rotakey.db.RotationDao;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Targets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Issues version 1 of many new credentials together, through the steps {@link RotationExecutor} runs one rotation
 * through, with fewer transactions: the material of every credential is made first ({@link #prepare}) and recorded,
 * PENDING with its digest, in the caller's transaction that registers the credentials ({@link #record}); then, a
 * chunk at a time and under the chunk's credential locks, it is delivered and verified in parallel and its delivery,
 * verification and promotion are committed in one transaction ({@link #finish}). Nothing reaches a target before its
 * version is durable (docs/design.md, "Durability before effect"). A credential whose step fails has its failure
 * recorded as the executor records it and goes on in the scheduler's workers; one that a crash interrupts is resumed
 * at the next start like any rotation in flight.
 *
 * <p>Certificates are not made ahead: their CA records each one it issues, and a leaf key kept in the backend must
 * belong to a running rotation from its creation on (see {@link OrphanLeafKeys}). Their first rotations are registered
 * with the others and run by the executor afterwards, one by one, as a single creation runs it.
 */
public final class FirstVersions {
    private static final Logger LOG = LoggerFactory.getLogger(FirstVersions.class);
    /** Credentials per chunk: they are locked while their chunk runs, so other work on their lock stripes waits. */
    static final int CHUNK = 200;

    private final Store store;
    private final KeyBackends backends;
    private final RotationWorkflow workflow;
    private final AuditLog audit;
    private final WorkScheduler scheduler;
    private final CredentialLocks locks;
    private final Clock clock;
    private final ScheduleCalculator schedule;
    private final RotationListener listener;
    private final ParallelSteps parallel;
    private final MaterialIssuer issuer;
    private final BindingFanOut fanOut;
    private final BindingRecords firstRecords;
    private final StepRecords records;
    private final RotationExecutor executor;
    private final Duration sweptAfter;

    /**
     * @param listener   told of each persisted step, as {@link RotationExecutor}'s listener is
     * @param parallel   the threads that issue, deliver and verify
     * @param executor   runs the first rotations of certificates
     * @param sweptAfter on a cluster, how long a running rotation may stay untouched before other nodes' sweeps take
     *                   it up (two check-in intervals); null on a single node, which has no sweep
     */
    public FirstVersions(Store store, KeyBackends backends, Targets targets, CertificateAuthorities authorities,
                         RotationWorkflow workflow, AuditLog audit, WorkScheduler scheduler, CredentialLocks locks,
                         Clock clock, ScheduleCalculator schedule, RotationListener listener, ParallelSteps parallel,
                         RotationExecutor executor, Duration sweptAfter) {
        this.store = store;
        this.backends = backends;
        this.workflow = workflow;
        this.audit = audit;
        this.scheduler = scheduler;
        this.locks = locks;
        this.clock = clock;
        this.schedule = schedule;
        this.listener = listener;
        this.parallel = parallel;
        this.issuer = new MaterialIssuer(targets, authorities);
        this.fanOut = new BindingFanOut(store, targets);
        this.firstRecords = new BindingRecords(store, targets);
        this.records = new StepRecords(store, workflow, audit, schedule);
        this.executor = executor;
        this.sweptAfter = sweptAfter;
    }

    /** One credential on its way to version 1: its rotation as last persisted, and what the steps made so far. */
    private static final class Work {
        final Credential credential;
        Rotation rotation;
        IssuedMaterial material;
        List<String> references;
        CredentialVersion version;
        /** When its rotation goes on in the scheduler's workers, once it left the batch after a failure; else null. */
        Instant continueAt;
        /** Whether another worker took its rotation on, so that the batch no longer touches it. */
        boolean left;

        Work(Credential credential, Rotation rotation) {
            this.credential = credential;
            this.rotation = rotation;
        }

        String id() {
            return credential.id();
        }

        /** Whether the executor makes its material after the batch is registered: a certificate's. */
        boolean deferred() {
            return credential.type() == CredentialType.CERTIFICATE;
        }
    }

    /** The first versions of a batch's credentials: made, and until {@link #record} known to this process only. */
    final class Prepared {
        private final List<Work> all;
        /** Those made ahead, in order: all but the deferred ones. */
        private final List<Work> made;
        private final Instant started;
        private final Instant created;

        private Prepared(List<Work> all, Instant started, Instant created) {
            this.all = all;
            this.made = all.stream().filter(w -> !w.deferred()).toList();
            this.started = started;
            this.created = created;
        }

        /** Wipes the material and destroys any leaf key made for it: the batch was refused. */
        void abandon() {
            all.stream().filter(w -> w.material != null).forEach(w -> {
                MaterialIssuer.abandon(backends.get(w.credential.backend()), w.material, null);
                w.material = null;
            });
        }
    }

    /**
     * The CREATE step of each credential's first rotation but the deferred ones, all in parallel: material from its
     * backend, and each binding's target reference to it.
     *
     * @throws RuntimeException the first item's failure, when any failed: then no material is left
     */
    Prepared prepare(List<Credential> credentials, String actor, String correlationId) {
        Instant started = clock.instant();
        List<Work> all = credentials.stream().map(c -> new Work(c, workflow.start(c.id(), 1, RotationTrigger.INITIAL,
                actor, false, correlationId, started))).toList();
        Prepared prepared = new Prepared(all, started, null);
        List<RuntimeException> failures = parallel.run(prepared.made, w -> {
            w.material = issuer.issue(backends.get(w.credential.backend()), w.credential, w.rotation.version());
            FailPoints.reach("create.after-issue", w.id());
            w.references = fanOut.references(w.credential, firstRecords.firstDeliveries(w.credential,
                    w.rotation.version(), w.material, null));
        });
        RuntimeException first = failures.stream().filter(Objects::nonNull).findFirst().orElse(null);
        if (first != null) {
            prepared.abandon();
            throw first;
        }
        return new Prepared(all, started, clock.instant());
    }

    /**
     * Records, in {@code tx} (the caller's, which registers the credentials), each first rotation with its CREATE step
     * done and its version PENDING with the material's digest and references, with their audit events; a deferred
     * one at its CREATE step.
     */
    void record(Daos tx, Prepared p) {
        List<Rotation> rotations = new ArrayList<>();
        List<CredentialVersion> versions = new ArrayList<>();
        List<AuditLog.Entry> events = new ArrayList<>();
        for (Work w : p.all) {
            events.add(new AuditLog.Entry(w.rotation.actor(), AuditAction.ROTATION_STARTED, subject(w), "ok",
                    "rotation=" + w.rotation.id() + " trigger=" + w.rotation.trigger().wireName()));
            if (w.deferred()) {
                rotations.add(w.rotation);
                continue;
            }
            rotations.add(workflow.stepSucceeded(w.rotation, p.created));
            w.version = CredentialVersion.pending(w.id(), w.rotation.version(), w.material.digest(),
                    w.material.digestKeyId(), w.rotation.id(), p.created);
            versions.add(w.version);
            events.add(ChunkCommits.stepEvent(w.rotation));
        }
        tx.rotations().insertAll(rotations);
        tx.versions().insertAll(versions);
        for (Work w : p.made) {
            BindingRecords.addReferences(tx, w.id(), w.rotation.version(), w.references);
            if (w.material.keyRef() != null) {
                tx.versions().setKeyRef(w.id(), w.rotation.version(), w.material.keyRef());
            }
        }
        tx.rotations().recordSteps(p.made.stream().map(w -> ChunkCommits.step(w.rotation, p.started, p.created)).toList());
        audit.recordAll(tx, events);
    }

    /** After {@link #record}'s transaction committed: each rotation stands at its DELIVER step. */
    void recorded(Prepared p) {
        Duration took = Duration.between(p.started, p.created);
        for (Work w : p.made) {
            Rotation delivering = workflow.stepSucceeded(w.rotation, p.created);
            listener.afterStep(w.rotation, delivering, took);
            w.rotation = delivering;
        }
        p.made.forEach(w -> FailPoints.reach("create.after-commit", w.id()));
    }

    /**
     * Delivers, verifies and promotes the recorded first versions, a chunk at a time; then has the executor run the
     * deferred ones.
     *
     * @return each credential with its rotation as the batch left it, in order: SUCCEEDED, or still RUNNING in the
     *         scheduler's workers after a failure
     */
    List<CredentialService.Created> finish(Prepared p) {
        List<Future<?>> scheduling = new ArrayList<>();
        Instant touched = p.created;
        try {
            for (int from = 0; from < p.made.size(); from += CHUNK) {
                List<Work> rest = p.made.subList(from, p.made.size());
                if (sweptAfter != null && clock.instant().isAfter(touched.plus(sweptAfter.dividedBy(2)))) {
                    // Recent again for other nodes' sweeps, which take up rotations left quiet, to leave them alone.
                    touched = clock.instant();
                    Instant now = touched;
                    store.txRun(tx -> tx.rotations().touch(rest.stream().map(w -> w.rotation.id()).toList(), now));
                }
                scheduling.add(runChunk(rest.subList(0, Math.min(rest.size(), CHUNK))));
            }
        } catch (RuntimeException e) {
            // The credentials exist: what the batch could not finish goes on in the scheduler's workers.
            LOG.error("a batch of first versions stopped ({}); the scheduler's workers take up the rest",
                    FailureClassifier.describe(e), e);
            p.made.stream().filter(w -> !w.left && w.rotation.state() == RotationState.RUNNING)
                    .forEach(w -> continueLater(w, w.continueAt != null ? w.continueAt : clock.instant()));
        } finally {
            p.made.stream().filter(w -> w.material != null).forEach(w -> w.material.destroy());
            awaitAll(scheduling);
        }
        p.all.stream().filter(Work::deferred).forEach(w -> w.rotation = executor.run(w.rotation.id()));
        return p.all.stream().map(w -> new CredentialService.Created(w.credential, w.rotation)).toList();
    }

    /**
     * Runs one chunk.
     *
     * @return the storing of its next rotations' triggers, which runs on while the next chunk does
     */
    private Future<?> runChunk(List<Work> chunk) {
        Map<String, Instant> next = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        long[] t = new long[4];
        try (CredentialLocks.Held held = locks.lockAll(chunk.stream().map(Work::id).toList())) {
            List<Work> mine = unchanged(chunk);
            t[0] = System.nanoTime();
            Instant deliverStarted = clock.instant();
            List<RuntimeException> deliveries = parallel.run(mine, w -> {
                fanOut.deliver(w.credential, deliveries(w));
                FailPoints.reach("batch.after-delivery", w.id());
            });
            t[1] = System.nanoTime();
            Instant verifyStarted = clock.instant();
            List<Work> delivered = succeeded(mine, deliveries);
            List<RuntimeException> verifications = parallel.run(delivered,
                    w -> fanOut.verify(w.credential, deliveries(w)));
            List<Work> verified = succeeded(delivered, verifications);
            t[2] = System.nanoTime();
            promote(delivered, verified, deliverStarted, verifyStarted, next);
            t[3] = System.nanoTime();
            for (int i = 0; i < mine.size(); i++) {
                if (deliveries.get(i) != null) {
                    failed(mine.get(i), deliveries.get(i), deliverStarted);
                }
            }
            for (int i = 0; i < delivered.size(); i++) {
                if (verifications.get(i) != null) {
                    failed(delivered.get(i), verifications.get(i), verifyStarted);
                }
            }
        } finally {
            chunk.stream().filter(w -> w.material != null).forEach(w -> {
                w.material.destroy();
                w.material = null;
            });
        }
        // After the locks are released: a worker continuing one of these takes its lock first.
        chunk.stream().filter(w -> w.continueAt != null).forEach(w -> continueLater(w, w.continueAt));
        LOG.debug("first versions of {} credentials, {} promoted: lock and check {} ms, deliver {} ms, verify {} ms, "
                + "commit {} ms", chunk.size(), next.size(), ms(t[0] - t0), ms(t[1] - t[0]), ms(t[2] - t[1]),
                ms(t[3] - t[2]));
        return parallel.submit(() -> scheduler.rotateAllAt(next));
    }

    /** Hands {@code w}'s rotation to the scheduler's workers; if even that fails, the next start resumes it. */
    private void continueLater(Work w, Instant at) {
        try {
            scheduler.continueRotationAt(w.rotation.id(), at);
        } catch (RuntimeException e) {
            LOG.error("cannot schedule rotation {} of {}: {}; it resumes at the next start (on a cluster, at another "
                    + "node's sweep)", w.rotation.id(), w.id(), e.toString(), e);
        }
    }

    /**
     * Waits until the triggers are stored. One that could not be is logged: the credential's next rotation is in the
     * database, and the scheduler's reconciliation re-creates what is missing (at start-up; on a cluster, every minute).
     */
    private static void awaitAll(List<Future<?>> scheduling) {
        for (Future<?> f : scheduling) {
            try {
                f.get();
            } catch (ExecutionException e) {
                LOG.warn("cannot schedule the next rotations of a batch's credentials now: {}", e.getCause().toString(),
                        e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    /**
     * The chunk's items that nobody else touched since {@link #record}: their rotation still at DELIVER with no
     * attempt, and their version's digest still theirs. Another worker (an emergency's, a decommission's, another
     * node's sweep) may have run one before the chunk's locks were taken; it is left to that worker.
     */
    private List<Work> unchanged(List<Work> chunk) {
        List<String> ids = chunk.stream().map(Work::id).toList();
        Map<String, Rotation> rotations = store.read(d -> d.rotations().findAll(
                chunk.stream().map(w -> w.rotation.id()).toList()));
        Map<String, List<CredentialVersion>> versions = store.read(d -> d.versions().ofCredentials(ids));
        List<Work> out = new ArrayList<>();
        for (Work w : chunk) {
            Rotation stored = rotations.get(w.rotation.id());
            boolean same = stored != null && stored.state() == RotationState.RUNNING && stored.step() == w.rotation.step()
                    && stored.attempts() == w.rotation.attempts() && versions.getOrDefault(w.id(), List.of()).stream()
                    .anyMatch(v -> v.version() == w.version.version() && w.version.digest().equals(v.digest()));
            if (same) {
                out.add(w);
            } else {
                LOG.info("rotation {} of {} was taken on by another worker before its batch reached it", w.rotation.id(),
                        w.id());
                w.rotation = stored == null ? w.rotation : stored;
                w.left = true;
            }
        }
        return out;
    }

    /** What each binding of {@code w} is sent: its version as recorded, without a look in the database. */
    private List<Delivery> deliveries(Work w) {
        return firstRecords.firstDeliveries(w.credential, w.rotation.version(), w.material, w.references);
    }

    private static List<Work> succeeded(List<Work> items, List<RuntimeException> failures) {
        List<Work> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (failures.get(i) == null) {
                out.add(items.get(i));
            }
        }
        return out;
    }

    /**
     * In one transaction: the DELIVER step of every delivered item, and the VERIFY and PROMOTE steps of the verified
     * ones, whose version becomes CURRENT with its next rotation due; each rotation advanced only from its DELIVER
     * step. A failed transaction commits nothing: each item has that failure recorded as its DELIVER step's.
     */
    private void promote(List<Work> delivered, List<Work> verified, Instant deliverStarted, Instant verifyStarted,
                         Map<String, Instant> next) {
        if (delivered.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        Map<Work, List<Rotation>> steps = new LinkedHashMap<>();
        for (Work w : delivered) {
            List<Rotation> after = new ArrayList<>(List.of(w.rotation, workflow.stepSucceeded(w.rotation, verifyStarted)));
            if (verified.contains(w)) {
                after.add(workflow.stepSucceeded(after.get(1), now));
                after.add(workflow.stepSucceeded(after.get(2), now));
            }
            steps.put(w, after);
        }
        delivered.forEach(w -> FailPoints.reach("promote.before-commit", w.id()));
        List<Work> moved;
        try {
            moved = store.tx(tx -> {
                tx.credentials().lockAll(delivered.stream().map(Work::id).toList());
                List<Map.Entry<Rotation, Rotation>> pairs = delivered.stream()
                        .map(w -> Map.entry(w.rotation, steps.get(w).get(steps.get(w).size() - 1))).toList();
                boolean[] advanced = tx.rotations().advanceAll(pairs);
                List<Work> ok = new ArrayList<>();
                for (int i = 0; i < delivered.size(); i++) {
                    if (advanced[i]) {
                        ok.add(delivered.get(i));
                    }
                }
                List<Work> done = ok.stream().filter(verified::contains).toList();
                List<Work> unverified = ok.stream().filter(w -> !verified.contains(w)).toList();
                tx.deliveries().deliveredFirst(bindings(done), verifyStarted, now);
                tx.deliveries().deliveredFirst(bindings(unverified), verifyStarted, null);
                List<RotationDao.NewStep> stepRecords = new ArrayList<>();
                List<AuditLog.Entry> events = new ArrayList<>();
                List<CredentialVersion> current = new ArrayList<>();
                for (Work w : ok) {
                    List<Rotation> after = steps.get(w);
                    stepRecords.add(ChunkCommits.step(after.get(0), deliverStarted, verifyStarted));
                    events.add(ChunkCommits.stepEvent(after.get(0)));
                    if (after.size() > 2) {
                        stepRecords.add(ChunkCommits.step(after.get(1), verifyStarted, now));
                        stepRecords.add(ChunkCommits.step(after.get(2), now, now));
                        events.add(ChunkCommits.stepEvent(after.get(1)));
                        events.add(ChunkCommits.stepEvent(after.get(2)));
                        // A new credential's only version: nothing is superseded, so an emergency changes nothing here.
                        CredentialVersion v = workflow.promote(List.of(w.version), w.version.version(), now,
                                w.credential.gracePeriod(), w.rotation.emergency()).get(0);
                        current.add(v);
                        Instant due = schedule.nextDue(w.credential, now);
                        if (due != null) {
                            // A manual credential is never due: it stays out of the schedule.
                            next.put(w.id(), due);
                        }
                        events.add(new AuditLog.Entry(w.rotation.actor(), AuditAction.VERSION_PROMOTED, subject(w), "ok",
                                "state=" + v.state() + (v.revokeAfter() == null ? "" : " revokeAfter=" + v.revokeAfter())));
                        events.add(new AuditLog.Entry(w.rotation.actor(), AuditAction.ROTATION_SUCCEEDED, subject(w), "ok",
                                "rotation=" + w.rotation.id() + " trigger=" + w.rotation.trigger().wireName()));
                    }
                }
                tx.rotations().recordSteps(stepRecords);
                tx.versions().updateAll(current);
                tx.credentials().setNextRotations(next);
                audit.recordAll(tx, events);
                return ok;
            });
        } catch (RuntimeException e) {
            next.clear();
            delivered.forEach(w -> failed(w, e, deliverStarted));
            return;
        }
        for (Work w : delivered) {
            if (!moved.contains(w)) {
                // A decommission's abort moved it on: its worker removes what the batch delivered.
                LOG.info("rotation {} of {} was moved on by another worker; the batch leaves it", w.rotation.id(), w.id());
                w.left = true;
                continue;
            }
            List<Rotation> after = steps.get(w);
            listener.afterStep(after.get(0), after.get(1), Duration.between(deliverStarted, verifyStarted));
            if (after.size() > 2) {
                listener.afterStep(after.get(1), after.get(2), Duration.between(verifyStarted, now));
                listener.afterStep(after.get(2), after.get(3), Duration.ZERO);
            }
            w.rotation = after.get(after.size() - 1);
        }
        moved.forEach(w -> FailPoints.reach("promote.after-commit", w.id()));
    }

    private static String subject(Work w) {
        return AuditSubject.version(w.id(), w.rotation.version());
    }

    private static List<DeliveryDao.Binding> bindings(List<Work> items) {
        return items.stream().flatMap(w -> ChunkCommits.bindingsOf(w.credential, w.rotation.version()).stream()).toList();
    }

    /**
     * Records {@code e} as the failure of the step {@code w} is at, as the executor does: a retry after a backoff, or
     * the clean-up; the rotation then goes on in the scheduler's workers once the chunk's locks are released.
     */
    private void failed(Work w, RuntimeException e, Instant started) {
        if (w.left || w.continueAt != null) {
            // Not the batch's any more, or its failure is recorded already (a failed commit before a failed verify).
            return;
        }
        Rotation r = w.rotation;
        Instant now = clock.instant();
        try {
            records.stepFailed(r, e, started, now, " in a batch").ifPresent(after -> {
                listener.afterStep(r, after, Duration.between(started, now));
                w.rotation = after;
            });
        } catch (RuntimeException dbFailure) {
            // The database itself is failing: the rotation stays as persisted and resumes from there.
            LOG.error("cannot record the failure of rotation {}: {}", r.id(), FailureClassifier.describe(dbFailure),
                    dbFailure);
        }
        w.continueAt = w.rotation.nextAttemptAt() != null ? w.rotation.nextAttemptAt() : now;
    }
}
