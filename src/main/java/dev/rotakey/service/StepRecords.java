package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Writes a rotation step's outcome: the rotation advanced (only from the state it was read in, so that of two
 * workers one wins), the step's record and audit event, and what the step changed, in one transaction; and, when
 * the rotation ends FAILED, its version's end.
 */
final class StepRecords {
    private static final Logger LOG = LoggerFactory.getLogger(StepRecords.class);

    private final Store store;
    private final RotationWorkflow workflow;
    private final AuditLog audit;
    private final ScheduleCalculator schedule;

    StepRecords(Store store, RotationWorkflow workflow, AuditLog audit, ScheduleCalculator schedule) {
        this.store = store;
        this.workflow = workflow;
        this.audit = audit;
        this.schedule = schedule;
    }

    /** Commits {@code r}'s advance to {@code next} with {@code more}; empty when a concurrent worker got there first. */
    Optional<Rotation> persist(Rotation r, Rotation next, Consumer<Daos> more) {
        boolean ok = store.stepTx(tx -> {
            if (!tx.rotations().advance(r, next)) {
                return false;
            }
            more.accept(tx);
            return true;
        });
        return ok ? Optional.of(next) : Optional.empty();
    }

    /** {@link #persist} of a step that succeeded: its record, then what it changed ({@code more}). */
    Optional<Rotation> succeeded(Rotation r, Rotation next, Instant started, Instant now, Consumer<Daos> more) {
        return persist(r, next, tx -> {
            stepRecorded(tx, r, "OK", null, started, now);
            more.accept(tx);
        });
    }

    /** Records that {@code r}'s step ended with {@code outcome}; an error-free step is audited as well. */
    void stepRecorded(Daos tx, Rotation r, String outcome, String error, Instant started, Instant now) {
        tx.rotations().recordStep(r.id(), r.step().name(), r.attempts() + 1, outcome, error, started, now);
        if (error == null) {
            audit.record(tx, r.actor(), AuditAction.ROTATION_STEP, AuditSubject.version(r.credentialId(), r.version()),
                    "ok", r.step().name().toLowerCase(Locale.ROOT) + " (rotation " + r.id() + ")");
        }
    }

    /**
     * Classifies {@code e}, logs it ({@code where} says how the step ran, e.g. " in a batch") and persists it as the
     * failure of {@code r}'s step: to a retry after a backoff, or to the clean-up.
     *
     * @return the rotation as persisted; empty when a concurrent worker advanced it first
     * @throws RuntimeException when the database itself fails: the rotation stays as persisted
     */
    Optional<Rotation> stepFailed(Rotation r, RuntimeException e, Instant started, Instant now, String where) {
        FailureClassifier.Kind kind = FailureClassifier.classify(e);
        String error = FailureClassifier.describe(e);
        Rotation next = workflow.stepFailed(r, error, kind.retryable(), now, ThreadLocalRandom.current().nextDouble());
        String message = "rotation {} of {} step {} attempt {} failed{} ({}): {}";
        if (kind.unforeseen()) {
            LOG.error(message, r.id(), r.credentialId(), r.step(), r.attempts() + 1, where, kind.description(), error, e);
        } else {
            LOG.warn(message, r.id(), r.credentialId(), r.step(), r.attempts() + 1, where, kind.description(), error, e);
        }
        return failed(r, next, error, started, now);
    }

    /**
     * {@link #persist} of a step that failed with {@code error}: to a retry, to clean-up, or — when the clean-up ran
     * out of attempts — to the end of the rotation, with the removal left outstanding (I4).
     */
    Optional<Rotation> failed(Rotation r, Rotation next, String error, Instant started, Instant now) {
        return persist(r, next, tx -> {
            stepRecorded(tx, r, next.step() == r.step() ? "RETRY" : "FAILED", error, started, now);
            audit.record(tx, r.actor(), AuditAction.ROTATION_STEP, AuditSubject.version(r.credentialId(), r.version()),
                    "failed", r.step().name().toLowerCase(Locale.ROOT) + " attempt " + (r.attempts() + 1) + ": " + error);
            if (next.state() == RotationState.FAILED) {
                Credential c = tx.credentials().find(r.credentialId()).orElseThrow(
                        () -> new IllegalStateException("credential " + r.credentialId() + " does not exist"));
                endFailed(tx, c, next, error, now);
            }
        });
    }

    /**
     * The rotation has ended FAILED: its version, if still PENDING, becomes FAILED at once, so that the
     * credential can rotate again (I2, I3). When the clean-up did not finish ({@code removalError}), the
     * version carries that error as an outstanding removal, retried by {@link RevocationService} until it
     * succeeds and visible meanwhile in the health check, the status and an alert (I4).
     */
    void endFailed(Daos tx, Credential c, Rotation r, String removalError, Instant now) {
        tx.versions().find(c.id(), r.version())
                .filter(v -> v.state() == VersionState.PENDING)
                .ifPresent(v -> {
                    CredentialVersion failed = workflow.fail(v, now);
                    tx.versions().update(removalError == null ? failed : failed.withRevokeFailure(1, removalError));
                });
        // A scheduled rotation that failed is tried again after retryFailedAfter, not a whole interval later.
        Credential fresh = tx.credentials().find(c.id()).orElse(c);
        if (fresh.active() && (fresh.nextRotationAt() == null || !fresh.nextRotationAt().isAfter(now))) {
            tx.credentials().setNextRotation(c.id(), schedule.retryAfterFailure(fresh, now));
        }
        // ERROR, unlike the attempts before it (WARN): `journalctl -p err` shows the rotations that gave up.
        LOG.error("rotation {} of {} version {} failed: {}{}", r.id(), c.id(), r.version(), r.lastError(),
                removalError == null ? "" : "; removal from targets outstanding, retried until done");
        audit.record(tx, r.actor(), AuditAction.ROTATION_FAILED, AuditSubject.version(c.id(), r.version()), "failed",
                "rotation=" + r.id() + " error=" + r.lastError()
                        + (removalError == null ? "" : "; removal from targets outstanding, retried until done"));
    }
}
