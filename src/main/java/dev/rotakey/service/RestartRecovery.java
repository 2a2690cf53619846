package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Picks up, at start-up, what the daemon was doing when it stopped: every rotation that was running goes back to
 * the scheduler, every outstanding removal gets a retry, and a version left PENDING without a running rotation
 * is repaired (docs/design.md, "Failures, retries and clean-up"). Where a resumed rotation left off is the
 * executor's business: its lost material is re-created by {@link LostMaterial}.
 */
final class RestartRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(RestartRecovery.class);
    private static final int PAGE = 1000;

    private final Store store;
    private final RotationWorkflow workflow;
    private final AuditLog audit;
    private final WorkScheduler scheduler;
    private final Clock clock;

    RestartRecovery(Store store, RotationWorkflow workflow, AuditLog audit, WorkScheduler scheduler, Clock clock) {
        this.store = store;
        this.workflow = workflow;
        this.audit = audit;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /**
     * Every rotation that was RUNNING when the daemon stopped goes back to the scheduler, so it resumes where its
     * last persisted step left it; stranded PENDING versions are failed first and every outstanding removal is
     * scheduled now.
     *
     * @return how many rotations resume
     */
    int resumeInFlight() {
        // A page at a time, here and below: a crash during a mass rotation may leave a whole fleet in flight.
        int stranded = 0;
        List<CredentialVersion> failed;
        do {
            failed = store.tx(tx -> tx.versions().strandedPending(PAGE).stream().map(v -> failStranded(tx, v)).toList());
            stranded += failed.size();
        } while (failed.size() == PAGE);
        if (stranded > 0) {
            LOG.warn("{} version(s) were PENDING without a running rotation: marked FAILED, their removal follows",
                    stranded);
        }
        Instant now = clock.instant();
        // Quartz keeps these jobs, but a removal that an earlier release gave up on has none: every outstanding
        // removal gets a retry now (I4).
        List<CredentialVersion> removals = List.of();
        do {
            CredentialVersion last = removals.isEmpty() ? null : removals.get(removals.size() - 1);
            removals = store.read(d -> d.versions().outstandingRemovals(last == null ? "" : last.credentialId(),
                    last == null ? 0 : last.version(), PAGE));
            removals.forEach(v -> scheduler.revokeAt(v.credentialId(), v.version(), now));
        } while (removals.size() == PAGE);
        int resumed = 0;
        List<Rotation> running = List.of();
        do {
            String after = running.isEmpty() ? "" : running.get(running.size() - 1).id();
            running = store.read(d -> d.rotations().running(after, PAGE));
            for (Rotation r : running) {
                Instant at = r.nextAttemptAt() == null || r.nextAttemptAt().isBefore(now) ? now : r.nextAttemptAt();
                scheduler.resumeRotation(r.id(), at);
            }
            resumed += running.size();
        } while (running.size() == PAGE);
        if (resumed > 0) {
            LOG.info("resuming {} rotation(s) that were in flight", resumed);
        }
        return resumed;
    }

    /**
     * A PENDING version without a running rotation (left by a clean-up that ended before marking it, in
     * earlier releases) would block every later promotion: it becomes FAILED, with its removal from the
     * targets outstanding, so that the removal loop puts the targets back as they were (I2, I4). The caller
     * schedules the removal once {@code tx} has committed.
     */
    CredentialVersion failStranded(Daos tx, CredentialVersion v) {
        CredentialVersion failed = workflow.fail(v, clock.instant())
                .withRevokeFailure(0, "left PENDING without a running rotation; removal from its targets follows");
        tx.versions().update(failed);
        audit.record(tx, "rotakey", AuditAction.ROTATION_FAILED, AuditSubject.version(v.credentialId(), v.version()),
                "failed", "version " + v.version() + " was PENDING without a running rotation: marked FAILED");
        return failed;
    }
}
