package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.VersionState;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Decommissions an agent in two halves: {@link #markNow} marks it and its credentials decommissioned and aborts their
 * rotations in one transaction, so that from its commit on no key of theirs verifies and nothing new starts;
 * {@link #finish} then revokes one credential's versions at its targets, the slow part. Both are safe to repeat.
 * {@link #retireNow} is {@link #markNow} for one credential retired on its own; {@link #finish} follows it alike.
 */
public final class Decommissioning {
    /** How often an abort is tried again when a worker advanced the rotation at the same moment. */
    private static final int ABORT_TRIES = 3;

    private final Store store;
    private final RotationWorkflow workflow;
    private final RotationExecutor executor;
    private final RevocationService revocations;
    private final AuditLog audit;
    private final WorkScheduler scheduler;
    private final Clock clock;

    Decommissioning(Store store, RotationWorkflow workflow, RotationExecutor executor, RevocationService revocations,
                    AuditLog audit, WorkScheduler scheduler, Clock clock) {
        this.store = store;
        this.workflow = workflow;
        this.executor = executor;
        this.revocations = revocations;
        this.audit = audit;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /**
     * Marks the agent and every active credential of it decommissioned and sends their running rotations to
     * clean-up, in one transaction under the agent's row lock (so no credential is created for it meanwhile).
     *
     * @return every credential of the agent, decommissioned before or now: what {@link #finish} is to be run for
     * @throws RejectedException when the agent does not exist
     */
    public List<String> markNow(String agentId, String actor) {
        return store.tx(tx -> {
            Agent agent = tx.agents().findForUpdate(agentId).orElseThrow(() -> RejectedException.notFound("agent", agentId));
            Instant now = clock.instant();
            List<String> active = tx.credentials().activeIdsOfAgent(agentId);
            tx.credentials().markAllDecommissioned(agentId, now);
            for (String credentialId : active) {
                audit.record(tx, actor, AuditAction.CREDENTIAL_DECOMMISSIONED, AuditSubject.credential(credentialId), "ok", null);
            }
            for (Rotation r : tx.rotations().runningOfAgent(agentId)) {
                abort(tx, r, now);
            }
            List<String> all = tx.credentials().idsOfAgent(agentId);
            if (agent.active()) {
                tx.agents().markDecommissioned(agentId, now);
                audit.record(tx, actor, AuditAction.AGENT_DECOMMISSIONED, "agent:" + agentId, "ok",
                        all.size() + " credential(s)");
            }
            return all;
        });
    }

    /**
     * Retires one credential ({@code DELETE /api/v1/credentials/{id}}), in one transaction under its row lock: marked
     * retired (DECOMMISSIONED, so nothing schedules, rotates or verifies it from the commit on), every CURRENT and
     * PREVIOUS version REVOKED with its removal from the targets pending, a running rotation sent to clean-up. The
     * removals are {@link #finish}'s, as for a decommissioned agent's credentials.
     *
     * @return the credential as it was before
     * @throws RejectedException not found; conflict when it is already retired or its agent is decommissioned
     */
    public Credential retireNow(String credentialId, String actor) {
        return store.tx(tx -> {
            Credential before = tx.credentials().findForUpdate(credentialId)
                    .orElseThrow(() -> RejectedException.notFound("credential", credentialId));
            if (before.retired()) {
                throw RejectedException.conflict("credential '" + credentialId + "' is already retired (at "
                        + before.retiredAt() + " by " + before.retiredBy() + ")");
            }
            if (!before.active()) {
                throw RejectedException.conflict("credential '" + credentialId + "' is decommissioned with its agent '"
                        + before.agentId() + "'");
            }
            Instant now = clock.instant();
            tx.credentials().markRetired(credentialId, now, actor);
            List<Integer> revoked = new ArrayList<>();
            for (CredentialVersion v : tx.versions().ofCredential(credentialId)) {
                if (v.state() == VersionState.CURRENT || v.state() == VersionState.PREVIOUS) {
                    revocations.markRemovalPending(tx, v, RevocationReason.DECOMMISSIONED, actor, now);
                    revoked.add(v.version());
                }
            }
            tx.rotations().running(credentialId).ifPresent(r -> abort(tx, r, now, "credential retired"));
            audit.record(tx, actor, AuditAction.CREDENTIAL_RETIRED, AuditSubject.credential(credentialId), "ok",
                    "before: status=active; after: status=retired; versions revoked=" + revoked
                            + "; removal from targets " + before.bindings().stream().map(b -> b.target()).toList()
                            + " follows");
            return before;
        });
    }

    /**
     * A rotation that has not reached promotion goes to clean-up (its pending version is then discarded). One at
     * PROMOTE is left to finish: its new version is revoked with the others by {@link #finish}.
     */
    private void abort(Daos tx, Rotation running, Instant now) {
        abort(tx, running, now, "agent decommissioned");
    }

    private void abort(Daos tx, Rotation running, Instant now, String why) {
        Rotation r = running;
        for (int i = 0; i < ABORT_TRIES; i++) {
            if (r.step() == RotationStep.CLEANUP || r.step() == RotationStep.PROMOTE
                    || tx.rotations().advance(r, workflow.abort(r, why, now))) {
                return;
            }
            // A worker persisted a step in between: abort from where it is now, if it still runs.
            Optional<Rotation> fresh = tx.rotations().find(r.id()).filter(x -> x.state() == RotationState.RUNNING);
            if (fresh.isEmpty()) {
                return;
            }
            r = fresh.get();
        }
    }

    /**
     * Revokes what is left of a decommissioned credential: its next rotation is dropped, a running rotation is run
     * (to its clean-up, or to its end if it was promoting), then every CURRENT and PREVIOUS version is revoked and
     * every outstanding removal tried again, each at every target.
     *
     * @return whether nothing of the credential is left at a target; when false, the removals that failed are
     * recorded and retried until they succeed (I4)
     */
    public boolean finish(String credentialId, String actor) {
        scheduler.forgetCredential(credentialId);
        store.read(d -> d.rotations().running(credentialId)).ifPresent(r -> executor.run(r.id()));
        boolean removed = true;
        for (CredentialVersion v : store.read(d -> d.versions().ofCredential(credentialId))) {
            boolean live = v.state() == VersionState.CURRENT || v.state() == VersionState.PREVIOUS;
            boolean outstanding = (v.state() == VersionState.REVOKED || v.state() == VersionState.FAILED)
                    && v.revokeError() != null;
            if (live || outstanding) {
                removed &= revocations.revokeNow(credentialId, v.version(), RevocationReason.DECOMMISSIONED, actor);
            }
        }
        return removed;
    }
}
