package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Attestation;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.FailPoints;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.VersionState;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Starts rotations (scheduled, operator, emergency), decommissions agents, and resumes whatever
 * was in flight when the daemon stopped. The steps themselves are run by {@link RotationExecutor}.
 */
public final class RotationService {
    private static final Logger LOG = LoggerFactory.getLogger(RotationService.class);

    private final Store store;
    private final RotationWorkflow workflow;
    private final RotationExecutor executor;
    private final RevocationService revocations;
    private final AuditLog audit;
    private final WorkScheduler scheduler;
    private final Clock clock;
    private final RestartRecovery recovery;
    private final Decommissioning decommissioning;

    public RotationService(Store store, RotationWorkflow workflow, RotationExecutor executor,
                           RevocationService revocations, AuditLog audit, WorkScheduler scheduler, Clock clock) {
        this.store = store;
        this.workflow = workflow;
        this.executor = executor;
        this.revocations = revocations;
        this.audit = audit;
        this.scheduler = scheduler;
        this.clock = clock;
        this.recovery = new RestartRecovery(store, workflow, audit, scheduler, clock);
        this.decommissioning = new Decommissioning(store, workflow, executor, revocations, audit, scheduler, clock);
    }

    /**
     * Persists a new rotation of the credential, ready to run.
     *
     * @throws RejectedException when the credential does not exist, is decommissioned, or already rotating
     */
    public Rotation start(String credentialId, RotationTrigger trigger, String actor, boolean emergency) {
        String correlation = Optional.ofNullable(MDC.get(AuditLog.MDC_CORRELATION)).orElse(UUID.randomUUID().toString());
        List<CredentialVersion> stranded = new ArrayList<>();
        Rotation started = store.stepTx(tx -> {
            Credential c = tx.credentials().findForUpdate(credentialId)
                    .orElseThrow(() -> RejectedException.notFound("credential", credentialId));
            if (!c.active()) {
                throw RejectedException.conflict("credential '" + credentialId + "' is decommissioned");
            }
            if (trigger == RotationTrigger.SCHEDULE
                    && tx.attestations().find(c.agentId()).map(Attestation::suspended).orElse(false)) {
                throw RejectedException.conflict("agent '" + c.agentId() + "' is suspended until its owner re-attests it: "
                        + "its scheduled rotations wait");
            }
            Optional<Rotation> running = tx.rotations().running(credentialId);
            if (running.isPresent()) {
                throw RejectedException.conflict("credential '" + credentialId + "' is already rotating (rotation "
                        + running.get().id() + ", step " + running.get().step().name().toLowerCase(java.util.Locale.ROOT) + ")");
            }
            for (CredentialVersion v : tx.versions().ofCredential(credentialId)) {
                if (v.state() == VersionState.PENDING) {
                    stranded.add(recovery.failStranded(tx, v));
                }
            }
            Rotation r = workflow.start(credentialId, tx.versions().maxVersion(credentialId) + 1, trigger, actor,
                    emergency, correlation, clock.instant());
            tx.rotations().insert(r);
            audit.record(tx, actor, AuditAction.ROTATION_STARTED, AuditSubject.version(credentialId, r.version()),
                    "ok", "rotation=" + r.id() + " trigger=" + trigger.wireName() + (emergency ? " emergency" : ""));
            return r;
        });
        stranded.forEach(v -> scheduler.revokeAt(v.credentialId(), v.version(), clock.instant()));
        return started;
    }

    /** Starts a rotation and runs it in the caller's thread as far as it goes now. */
    public Rotation startAndRun(String credentialId, RotationTrigger trigger, String actor) {
        return executor.run(start(credentialId, trigger, actor, false).id());
    }

    /** Starts a rotation and hands it to the scheduler's workers; answers at once. */
    public Rotation startAsync(String credentialId, RotationTrigger trigger, String actor, boolean emergency) {
        Rotation r = start(credentialId, trigger, actor, emergency);
        // A death here leaves the rotation RUNNING without a trigger: the next start, or on a cluster another node's
        // sweep, resumes it.
        FailPoints.reach("start.after-commit", credentialId);
        scheduler.continueRotationAt(r.id(), clock.instant());
        return r;
    }

    /** An operator's rotation of every active credential of an agent. */
    public List<Rotation> rotateAgent(String agentId, String actor) {
        Agent agent = store.read(d -> d.agents().find(agentId)).orElseThrow(() -> RejectedException.notFound("agent", agentId));
        if (!agent.active()) {
            throw RejectedException.conflict("agent '" + agentId + "' is decommissioned");
        }
        List<Rotation> out = new ArrayList<>();
        for (Credential c : store.read(d -> d.credentials().list(agentId, null, Integer.MAX_VALUE))) {
            if (c.active()) {
                out.add(startAsync(c.id(), RotationTrigger.OPERATOR, actor, false));
            }
        }
        return out;
    }

    /**
     * Emergency: every PREVIOUS version is revoked now, and a rotation starts whose promotion
     * revokes the current version at once instead of after the grace period. When a rotation is
     * already running (retrying against a target that is down, say), that rotation becomes the
     * emergency one rather than the operator being refused: an emergency must never wait for a 409.
     * The current version stays CURRENT until a new one is promoted (I1).
     */
    public Rotation emergencyRevoke(String credentialId, String actor) {
        Rotation r = startEmergency(credentialId, actor);
        for (CredentialVersion v : store.read(d -> d.versions().ofCredential(credentialId))) {
            if (v.state() == VersionState.PREVIOUS) {
                revocations.revokeNow(credentialId, v.version(), RevocationReason.EMERGENCY, actor);
            }
        }
        scheduler.continueRotationAt(r.id(), clock.instant());
        return r;
    }

    /**
     * The rotation of an emergency, neither scheduled nor run: the running one made an emergency (refused while it
     * cleans up), or a new one started.
     *
     * @throws RejectedException when the credential does not exist, is decommissioned, or is cleaning up
     */
    public Rotation startEmergency(String credentialId, String actor) {
        Rotation r = store.tx(tx -> {
            tx.credentials().findForUpdate(credentialId)
                    .orElseThrow(() -> RejectedException.notFound("credential", credentialId));
            Optional<Rotation> running = tx.rotations().running(credentialId);
            if (running.isPresent() && running.get().step() == RotationStep.CLEANUP) {
                // Its new version is being discarded: there is nothing it could promote. Say so plainly.
                throw RejectedException.conflict("credential '" + credentialId + "' has a failed rotation still cleaning "
                        + "up (rotation " + running.get().id() + "); repeat the emergency revoke once it has ended");
            }
            if (running.isPresent() && !running.get().emergency() && tx.rotations().escalate(running.get().id())) {
                audit.record(tx, actor, AuditAction.ROTATION_STARTED, AuditSubject.version(credentialId,
                        running.get().version()), "ok", "rotation=" + running.get().id() + " made an emergency");
            }
            return running.flatMap(x -> tx.rotations().find(x.id())).orElse(null);
        });
        // start() refuses a missing or decommissioned credential under the row lock.
        return r != null ? r : start(credentialId, RotationTrigger.EMERGENCY, actor, true);
    }

    /** The scheduler says the credential is due. */
    public void onScheduledRotation(String credentialId) {
        Optional<Credential> found = store.read(d -> d.credentials().find(credentialId));
        if (found.isEmpty() || !found.get().active() || found.get().policy().manual()) {
            // A manual credential's trigger is one left from before its change: only operators rotate it now.
            scheduler.forgetCredential(credentialId);
            return;
        }
        Credential c = found.get();
        Instant now = clock.instant();
        if (c.nextRotationAt() != null && c.nextRotationAt().isAfter(now.plusSeconds(1))) {
            // The trigger is stale (an operator rotation moved the schedule since): follow the database.
            scheduler.rotateAt(credentialId, c.nextRotationAt());
            return;
        }
        Optional<Rotation> running = store.read(d -> d.rotations().running(credentialId));
        if (running.isPresent()) {
            executor.run(running.get().id());
            return;
        }
        try {
            startAndRun(credentialId, RotationTrigger.SCHEDULE, "scheduler");
        } catch (RejectedException e) {
            LOG.info("scheduled rotation of {} not started: {}", credentialId, e.getMessage());
        }
    }

    /**
     * Revokes everything of an agent now, aborts its rotations, and marks it and its credentials
     * decommissioned, in the caller's thread ({@link Decommissioning}). Safe to repeat.
     */
    public List<String> decommission(String agentId, String actor) {
        List<String> credentialIds = decommissioning.markNow(agentId, actor);
        for (String credentialId : credentialIds) {
            decommissioning.finish(credentialId, actor);
        }
        return credentialIds;
    }

    /** The scheduler this service hands its work to: a credential's change moves its next rotation there too. */
    public WorkScheduler scheduler() {
        return scheduler;
    }

    /** The two halves of {@link #decommission}, for an operator's task that answers between them. */
    public Decommissioning decommissioning() {
        return decommissioning;
    }

    /**
     * At start-up: every rotation that was RUNNING when the daemon stopped goes back to the
     * scheduler, so it resumes where its last persisted step left it ({@link RestartRecovery}).
     */
    public int resumeInFlight() {
        return recovery.resumeInFlight();
    }

    public Rotation continueRotation(String rotationId) {
        return executor.run(rotationId);
    }
}
