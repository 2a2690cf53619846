package dev.rotakey.service;

import dev.rotakey.backend.KeyBackends;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.FailPoints;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.VersionState;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;
import dev.rotakey.service.RotationChunk.Work;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps a lane ({@link RotationLanes}) takes a chunk of started rotations through, those {@link RotationExecutor}
 * takes one rotation through, each once for the whole chunk: its material made in parallel and recorded PENDING in one
 * transaction; delivered and verified in parallel, each credential's on a thread; its deliveries, verifications and
 * promotions committed in one transaction ({@link ChunkCommits}). Nothing reaches a target before its PENDING version is
 * durable, and nothing acts on a promotion (the superseded version's revocation) before it is durable (docs/design.md,
 * "Durability before effect"). A rotation whose step fails has its failure recorded as the executor records it and goes
 * on in the scheduler's workers; one a crash interrupts is resumed at the next start like any rotation in flight.
 */
final class ChunkSteps {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkSteps.class);

    private final Store store;
    private final KeyBackends backends;
    private final RotationWorkflow workflow;
    private final WorkScheduler scheduler;
    private final CredentialLocks locks;
    private final Clock clock;
    private final RotationListener listener;
    private final ParallelSteps makers;
    private final ParallelSteps movers;
    private final RevocationService revocations;
    private final PromotionActions promotionActions;
    private final MaterialIssuer issuer;
    private final BindingFanOut fanOut;
    private final BindingRecords bindings;
    private final StepRecords records;
    private final ChunkCommits commits;
    private final Duration sweptAfter;

    ChunkSteps(Store store, KeyBackends backends, MaterialIssuer issuer, BindingFanOut fanOut, BindingRecords bindings,
               RotationWorkflow workflow, StepRecords records, ChunkCommits commits, WorkScheduler scheduler,
               CredentialLocks locks, Clock clock, RotationListener listener, ParallelSteps makers, ParallelSteps movers,
               RevocationService revocations, PromotionActions promotionActions, Duration sweptAfter) {
        this.store = store;
        this.backends = backends;
        this.issuer = issuer;
        this.fanOut = fanOut;
        this.bindings = bindings;
        this.workflow = workflow;
        this.records = records;
        this.commits = commits;
        this.scheduler = scheduler;
        this.locks = locks;
        this.clock = clock;
        this.listener = listener;
        this.makers = makers;
        this.movers = movers;
        this.revocations = revocations;
        this.promotionActions = promotionActions;
        this.sweptAfter = sweptAfter;
    }

    /**
     * Takes the chunk's locks without waiting (see {@link CredentialLocks#tryLockAll}), for a lane that holds another
     * chunk's.
     *
     * @return whether it has them now
     */
    boolean tryLock(RotationChunk c) {
        c.held = locks.tryLockAll(c.works.stream().map(Work::id).toList()).orElse(null);
        return c.held != null;
    }

    /** Takes the chunk's locks unless it has them (held until {@link #finish}), and makes its material. */
    void begin(RotationChunk c) {
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
    void abandon(RotationChunk c) {
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
    void deliver(RotationChunk c) {
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

    void awaitDeliveries(RotationChunk c) {
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
    void finish(RotationChunk c) {
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
    private void stopped(RotationChunk c, RuntimeException e) {
        LOG.error("a chunk of rotations stopped ({}); the scheduler's workers take up the rest",
                FailureClassifier.describe(e), e);
        c.stopped = true;
        c.works.stream().filter(w -> w.promoted == null && w.continueAt == null)
                .forEach(w -> w.continueAt = clock.instant());
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
            moved = store.tx(tx -> commits.created(tx, made, started, now));
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
    private void promoteDelivered(RotationChunk c) {
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
            moved = store.tx(tx -> commits.promoted(tx, delivered, verified, deliverStarted, verifyStarted, now));
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

    /**
     * Passes a crash test's fail point for each of {@code works}, each on a thread of its own, as each rotation on its
     * own would: every credential it is armed for is frozen there, not only the first.
     */
    void reachEach(String point, List<Work> works) {
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
        promotionActions.promoted(w.credential, w.rotation.version(), w.rotation.actor());
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
}
