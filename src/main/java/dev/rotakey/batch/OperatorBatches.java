package dev.rotakey.batch;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.core.Agent;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.db.Store;
import dev.rotakey.service.Decommissioning;
import dev.rotakey.service.EmergencyRevocation;
import dev.rotakey.service.RotationService;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The operator's tasks that act on many credentials, each answering as soon as what must hold by then holds and its
 * batch is recorded; the rest is left to the {@link BatchRunner}. Refusals (an unknown or decommissioned subject)
 * come before any batch is recorded.
 */
public final class OperatorBatches {
    /** A rotation started at once, and the batch that records it. */
    public record Started(Rotation rotation, Batch batch) {
    }

    /** The credentials of an agent decommissioned at once, and the batch that revokes them at their targets. */
    public record Decommissioned(List<String> credentials, Batch batch) {
    }

    private final Store store;
    private final BatchRecords records;
    private final BatchRunner runner;
    private final RotationService rotations;
    private final Decommissioning decommissioning;
    private final EmergencyRevocation emergencies;

    public OperatorBatches(Store store, BatchRecords records, BatchRunner runner, RotationService rotations,
                           EmergencyRevocation emergencies) {
        this.store = store;
        this.records = records;
        this.runner = runner;
        this.rotations = rotations;
        this.decommissioning = rotations.decommissioning();
        this.emergencies = emergencies;
    }

    /**
     * A rotation of every active credential of the agent: answers once the batch is recorded; the batch lists the
     * credentials and starts their rotations in the background.
     *
     * @throws RejectedException when the agent does not exist (404) or is decommissioned (409)
     */
    public Batch rotateAgent(String agentId, String actor) {
        Agent agent = store.read(d -> d.agents().find(agentId)).orElseThrow(() -> RejectedException.notFound("agent", agentId));
        if (!agent.active()) {
            throw RejectedException.conflict("agent '" + agentId + "' is decommissioned");
        }
        return prepared(records.fresh(Batch.Kind.ROTATE, Batch.AGENT + agentId, actor), b -> {
            Batch opened = records.open(b, AuditAction.OPERATOR_ROTATE, "rotation of every active credential");
            runner.submit(opened);
            return opened;
        });
    }

    /**
     * A rotation of one credential, started before answering as it always was, with a batch recorded for it.
     *
     * @throws RejectedException when the credential does not exist, is decommissioned or is already rotating
     */
    public Started rotateCredential(String credentialId, String actor) {
        Rotation r = rotations.startAsync(credentialId, RotationTrigger.OPERATOR, actor, false);
        Batch b = records.done(Batch.Kind.ROTATE, AuditSubject.credential(credentialId), actor,
                AuditAction.OPERATOR_ROTATE, "1 rotation(s) started", credentialId, ItemResult.started(r.id()));
        return new Started(r, b);
    }

    /**
     * An emergency: answers once its rotation is started (or the running one escalated) ahead of any queue and the
     * PREVIOUS versions are revoked; their removal from the targets is the batch's, in a lane of its own.
     *
     * @throws RejectedException when the credential does not exist, is decommissioned, or is cleaning up
     */
    public Started emergencyRevoke(String credentialId, String actor) {
        EmergencyRevocation.Begun begun = emergencies.begin(credentialId, actor);
        Batch b = prepared(records.fresh(Batch.Kind.REVOKE, AuditSubject.credential(credentialId), actor), fresh -> {
            Batch opened = records.open(fresh, AuditAction.OPERATOR_REVOKE, "emergency revoke; rotation="
                    + begun.rotation().id() + " revoked=" + begun.revoked());
            Batch planned = records.plan(opened, List.of(credentialId), begun.rotation().id());
            runner.submit(planned);
            return planned;
        });
        return new Started(begun.rotation(), b);
    }

    /**
     * A decommission: answers once the agent and its credentials are marked decommissioned (no key of theirs
     * verifies from then on) and their rotations aborted; their versions are revoked at the targets by the batch.
     *
     * @throws RejectedException when the agent does not exist
     */
    public Decommissioned decommission(String agentId, String actor) {
        store.read(d -> d.agents().find(agentId)).orElseThrow(() -> RejectedException.notFound("agent", agentId));
        List<List<String>> marked = new ArrayList<>(1);
        Batch b = prepared(records.fresh(Batch.Kind.DECOMMISSION, Batch.AGENT + agentId, actor), fresh -> {
            Batch opened = records.open(fresh, AuditAction.OPERATOR_DECOMMISSION, null);
            marked.add(decommissioning.markNow(agentId, actor));
            Batch planned = records.plan(opened, marked.get(0));
            runner.submit(planned);
            return planned;
        });
        return new Decommissioned(marked.get(0), b);
    }

    /** A credential retired at once, and the batch that removes its versions from its targets. */
    public record Retired(dev.rotakey.core.Credential before, Batch batch) {
    }

    /**
     * A credential's retirement ({@code DELETE /api/v1/credentials/{id}}): answers once it is retired and its versions
     * revoked (no key of it verifies from then on); a {@link Batch.Kind#DECOMMISSION} batch about the credential
     * removes them from the targets, as a decommission does for each credential of an agent. The retirement is
     * committed before the batch is recorded: a crash in between leaves the removals recorded as pending, which the
     * revocation sweep retries (I4).
     *
     * @throws RejectedException not found; conflict when already retired or its agent is decommissioned
     */
    public Retired retire(String credentialId, String actor) {
        dev.rotakey.core.Credential before = decommissioning.retireNow(credentialId, actor);
        Batch b = prepared(records.fresh(Batch.Kind.DECOMMISSION, AuditSubject.credential(credentialId), actor), fresh -> {
            Batch opened = records.open(fresh, AuditAction.OPERATOR_DECOMMISSION, "retire credential " + credentialId);
            Batch planned = records.plan(opened, List.of(credentialId));
            runner.submit(planned);
            return planned;
        });
        return new Retired(before, b);
    }

    /**
     * Runs a task's preparation of its batch with the batch held by this node's runner, so that the sweep does not
     * take it while the task records, marks and plans; if the preparation fails, the hold ends and a recorded batch
     * is the sweep's to resume.
     */
    private Batch prepared(Batch fresh, UnaryOperator<Batch> preparation) {
        runner.hold(fresh);
        try {
            return preparation.apply(fresh);
        } finally {
            runner.release(fresh);
        }
    }
}
