package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackend;
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
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.VersionState;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.Targets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs rotations step by step: does each step's I/O (backend, targets), then persists its outcome
 * in one transaction before the next step starts, so that a process killed anywhere resumes from
 * the database. Failures become retries with backoff or a clean-up, as {@link RotationWorkflow}
 * decides from {@link FailureClassifier}'s verdict. The targets are called by {@link BindingFanOut}, outcomes
 * written by {@link StepRecords}, and material lost with a restart re-created by {@link LostMaterial}.
 */
public final class RotationExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(RotationExecutor.class);

    private final Store store;
    private final KeyBackends backends;
    private final RotationWorkflow workflow;
    private final AuditLog audit;
    private final WorkScheduler scheduler;
    private final CredentialLocks locks;
    private final Clock clock;
    private final ScheduleCalculator schedule;
    private final PendingMaterial pending = new PendingMaterial();
    private final MaterialIssuer issuer;
    private final BindingFanOut fanOut;
    private final MaterialRemoval removal;
    private final LostMaterial lost;
    private final StepRecords records;
    private final RevocationService revocations;
    private final RotationListener listener;
    private final PromotionActions promotionActions;

    /**
     * @param revocations revokes the superseded version as soon as an emergency rotation promotes the new one,
     *                    finishes a failed version's outstanding removal before a new version is delivered, and
     *                    lends the executor its material removal for clean-ups
     * @param listener    told of each persisted step (metrics, alerts, orphan keys; tests' crash points)
     */
    public RotationExecutor(Store store, KeyBackends backends, Targets targets, RotationWorkflow workflow,
                            AuditLog audit, WorkScheduler scheduler, CredentialLocks locks, Clock clock,
                            ScheduleCalculator schedule, CertificateAuthorities authorities,
                            RevocationService revocations, RotationListener listener) {
        this.store = store;
        this.backends = backends;
        this.workflow = workflow;
        this.audit = audit;
        this.scheduler = scheduler;
        this.locks = locks;
        this.clock = clock;
        this.schedule = schedule;
        this.issuer = new MaterialIssuer(targets, authorities);
        this.fanOut = new BindingFanOut(store, targets);
        this.removal = revocations.removal();
        this.records = new StepRecords(store, workflow, audit, schedule);
        this.lost = new LostMaterial(store, backends, workflow, audit, clock, pending, issuer, fanOut, removal);
        this.revocations = revocations;
        this.listener = listener;
        this.promotionActions = new PromotionActions(targets, audit);
    }

    /**
     * Runs the rotation as far as it can go now: to its end, or to a backoff wait (scheduled
     * for later). Safe to call for a finished rotation, or concurrently: only one caller advances it.
     *
     * @return the rotation as it stands afterwards
     */
    public Rotation run(String rotationId) {
        Rotation r = load(rotationId);
        CredentialLocks.Held held = locks.lock(r.credentialId());
        String previousMdc = MDC.get(AuditLog.MDC_CORRELATION);
        MDC.put(AuditLog.MDC_CORRELATION, r.correlationId());
        try {
            // Read again under the lock; afterwards each step's committed outcome is the rotation as it stands (an
            // advance from a stale state is refused by the database, and then the rotation is read again).
            r = load(rotationId);
            Credential c = null;
            while (true) {
                if (r.state().terminal()) {
                    return r;
                }
                Instant now = clock.instant();
                if (!r.runnableAt(now)) {
                    scheduler.continueRotationAt(r.id(), r.nextAttemptAt());
                    return r;
                }
                if (c == null || r.step() == RotationStep.CREATE) {
                    // The binding and type stay; whether it is still active is checked under its row lock by the steps.
                    c = credential(r.credentialId());
                }
                Instant started = clock.instant();
                Optional<Rotation> next = runStep(r, c);
                if (next.isEmpty()) {
                    // Another worker advanced this rotation first; it carries on from there.
                    return load(rotationId);
                }
                listener.afterStep(r, next.get(), Duration.between(started, clock.instant()));
                afterCommit(r, next.get());
                r = next.get();
            }
        } finally {
            if (previousMdc == null) {
                MDC.remove(AuditLog.MDC_CORRELATION);
            } else {
                MDC.put(AuditLog.MDC_CORRELATION, previousMdc);
            }
            held.close();
        }
    }

    private Rotation load(String rotationId) {
        return store.read(d -> d.rotations().find(rotationId))
                .orElseThrow(() -> new IllegalStateException("rotation " + rotationId + " does not exist"));
    }

    /** Runs one step and persists its outcome; empty when a concurrent worker got there first. */
    private Optional<Rotation> runStep(Rotation r, Credential c) {
        Instant started = clock.instant();
        try {
            return switch (r.step()) {
                case CREATE -> create(r, c, started);
                case DELIVER -> deliver(r, c, started);
                case VERIFY -> verify(r, c, started);
                case PROMOTE -> promote(r, started);
                case CLEANUP -> cleanup(r, c, started);
                case DONE -> throw new IllegalStateException("rotation " + r.id() + " is done but RUNNING");
            };
        } catch (RuntimeException e) {
            return recordFailure(r, e, started);
        }
    }

    private Optional<Rotation> create(Rotation r, Credential c, Instant started) {
        if (!c.active()) {
            throw new TargetException("credential is decommissioned", false);
        }
        KeyBackend backend = backends.get(c.backend());
        IssuedMaterial material = issuer.issue(backend, c, r.version());
        FailPoints.reach("create.after-issue", c.id());
        Instant now = clock.instant();
        Rotation next = workflow.stepSucceeded(r, now);
        boolean ok;
        try {
            List<String> references = fanOut.references(c, r.version(), material);
            ok = store.stepTx(tx -> {
                tx.credentials().findForUpdate(r.credentialId());
                if (!tx.rotations().advance(r, next)) {
                    return false;
                }
                tx.versions().insert(CredentialVersion.pending(r.credentialId(), r.version(), material.digest(),
                        material.digestKeyId(), r.id(), now));
                BindingRecords.addReferences(tx, c.id(), r.version(), references);
                if (material.keyRef() != null) {
                    tx.versions().setKeyRef(r.credentialId(), r.version(), material.keyRef());
                }
                records.stepRecorded(tx, r, "OK", null, started, now);
                return true;
            });
        } catch (RuntimeException e) {
            MaterialIssuer.abandon(backend, material, e);
            throw e;
        }
        if (!ok) {
            // Never delivered, and its private key is wiped or destroyed here: the certificate is unusable.
            MaterialIssuer.abandon(backend, material, null);
            return Optional.empty();
        }
        FailPoints.reach("create.after-commit", c.id());
        pending.put(r.credentialId(), r.version(), material);
        return Optional.of(next);
    }

    private Optional<Rotation> deliver(Rotation r, Credential c, Instant started) {
        finishFailedRemovals(c);
        IssuedMaterial material = lost.pendingOrRecreated(r, c);
        if (material == null) {
            return Optional.of(load(r.id()));
        }
        fanOut.deliver(c, r.version(), material);
        Instant now = clock.instant();
        return records.succeeded(r, workflow.stepSucceeded(r, now), started, now,
                tx -> BindingRecords.delivered(tx, c, r.version(), now));
    }

    private Optional<Rotation> verify(Rotation r, Credential c, Instant started) {
        IssuedMaterial material = pending.get(c.id(), r.version());
        if (material == null) {
            // Delivered before a restart, but the plaintext is gone: deliver fresh material again.
            lost.pendingOrRecreated(r, c);
            return Optional.of(load(r.id()));
        }
        fanOut.verify(c, r.version(), material);
        Instant now = clock.instant();
        return records.succeeded(r, workflow.stepSucceeded(r, now), started, now,
                tx -> BindingRecords.verified(tx, c, r.version(), now));
    }

    private Optional<Rotation> promote(Rotation r, Instant started) {
        Instant now = clock.instant();
        Rotation next = workflow.stepSucceeded(r, now);
        FailPoints.reach("promote.before-commit", r.credentialId());
        boolean ok = store.stepTx(tx -> {
            Credential c = tx.credentials().findForUpdate(r.credentialId())
                    .orElseThrow(() -> new IllegalStateException("credential " + r.credentialId() + " vanished"));
            if (!tx.rotations().advance(r, next)) {
                return false;
            }
            // Re-read: an operator's emergency may have escalated this rotation since it was loaded.
            boolean emergency = r.emergency() || tx.rotations().find(r.id()).map(Rotation::emergency).orElse(false);
            List<CredentialVersion> changes = workflow.promote(tx.versions().ofCredential(c.id()), r.version(), now,
                    c.gracePeriod(), emergency);
            changes.forEach(tx.versions()::update);
            if (c.active()) {
                tx.credentials().setNextRotation(c.id(), schedule.nextDue(c, now));
            }
            records.stepRecorded(tx, r, "OK", null, started, now);
            for (CredentialVersion v : changes) {
                audit.record(tx, r.actor(), AuditAction.VERSION_PROMOTED, subject(c.id(), v.version()), "ok",
                        "state=" + v.state() + (v.revokeAfter() == null ? "" : " revokeAfter=" + v.revokeAfter()));
            }
            audit.record(tx, r.actor(), AuditAction.ROTATION_SUCCEEDED, subject(c.id(), r.version()), "ok",
                    "rotation=" + r.id() + " trigger=" + r.trigger().wireName());
            return true;
        });
        FailPoints.reach("promote.after-commit", r.credentialId());
        return ok ? Optional.of(next) : Optional.empty();
    }

    private Optional<Rotation> cleanup(Rotation r, Credential c, Instant started) {
        Optional<CredentialVersion> version = store.read(d -> d.versions().find(c.id(), r.version()));
        if (version.isPresent() && version.get().state() == VersionState.PENDING) {
            // The certificate may have reached a target before the failure: it goes on the CRL too.
            removal.discard(c, version.get());
        }
        Instant now = clock.instant();
        Rotation next = workflow.stepSucceeded(r, now);
        return records.succeeded(r, next, started, now, tx -> records.endFailed(tx, c, r, null, now));
    }

    private Optional<Rotation> recordFailure(Rotation r, RuntimeException e, Instant started) {
        Instant now = clock.instant();
        try {
            return records.stepFailed(r, e, started, now, "");
        } catch (RuntimeException dbFailure) {
            // The database itself is failing: leave the rotation as persisted; it resumes from there.
            LOG.error("cannot record the failure of rotation {}: {}", r.id(), FailureClassifier.describe(dbFailure),
                    dbFailure);
            scheduler.continueRotationAt(r.id(), now.plus(workflow.retryPolicy().maxBackoff()));
            return Optional.empty();
        }
    }

    private void afterCommit(Rotation before, Rotation after) {
        if (after.state() == RotationState.SUCCEEDED) {
            pending.forget(after.credentialId(), after.version());
            Credential c = credential(after.credentialId());
            // Both times are committed with the promotion: their triggers may follow in the background.
            if (c.nextRotationAt() != null) {
                scheduler.rotateEventually(c.id(), c.nextRotationAt());
            }
            List<CredentialVersion> previous = store.read(d -> d.versions().ofCredential(c.id())).stream()
                    .filter(v -> v.state() == VersionState.PREVIOUS).toList();
            boolean emergency = after.emergency() || load(after.id()).emergency();
            for (CredentialVersion v : previous) {
                if (emergency) {
                    revocations.revokeNow(c.id(), v.version(), RevocationReason.EMERGENCY, after.actor());
                } else {
                    scheduler.revokeEventually(c.id(), v.version(), v.revokeAfter());
                }
            }
            // After the emergency's revocation: the compromised version is gone before anyone is told to reload.
            promotionActions.promoted(c, after.version(), after.actor());
        } else if (after.state() == RotationState.FAILED) {
            pending.forget(after.credentialId(), after.version());
            Credential c = credential(after.credentialId());
            if (c.active() && c.nextRotationAt() != null) {
                scheduler.rotateAt(c.id(), c.nextRotationAt());
            }
            store.read(d -> d.versions().find(c.id(), after.version()))
                    .filter(v -> v.state() == VersionState.FAILED && v.revokeError() != null)
                    .ifPresent(v -> scheduler.revokeAt(c.id(), v.version(), clock.instant().plus(
                            workflow.retryPolicy().backoff(1, ThreadLocalRandom.current().nextDouble()))));
        } else if (after.step() == RotationStep.CLEANUP && before.step() != RotationStep.CLEANUP) {
            pending.forget(after.credentialId(), after.version());
        }
    }

    /**
     * A failed version still at a target must go before a new one is delivered there: a file target keeps one
     * backup, of the content it replaces, and delivering over the failed version would replace the CURRENT
     * version's backup with it, so that its clean-up could no longer put the CURRENT version back (I1). The
     * outstanding removal is tried once more now; while it fails, the delivery waits, retried with backoff.
     */
    private void finishFailedRemovals(Credential c) {
        List<CredentialVersion> leftovers = store.read(d -> d.versions().ofCredential(c.id())).stream()
                .filter(v -> v.state() == VersionState.FAILED && v.revokeError() != null).toList();
        for (CredentialVersion v : leftovers) {
            boolean removed = revocations.revokeNow(c.id(), v.version(), RevocationReason.ROTATION_FAILED, "rotakey");
            if (!removed) {
                String error = store.read(d -> d.versions().find(c.id(), v.version()))
                        .map(CredentialVersion::revokeError).orElse(v.revokeError());
                throw new TargetException("failed version " + v.version() + " is still to be removed from a target, "
                        + "and a new version is not delivered over it: " + error, true);
            }
        }
    }

    private Credential credential(String id) {
        return store.read(d -> d.credentials().find(id)).orElseThrow(
                () -> new IllegalStateException("credential " + id + " does not exist"));
    }

    static String subject(String credentialId, int version) {
        return AuditSubject.version(credentialId, version);
    }
}
