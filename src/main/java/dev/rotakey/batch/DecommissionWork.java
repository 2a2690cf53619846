package dev.rotakey.batch;

import dev.rotakey.service.Decommissioning;

import java.util.List;

/**
 * A {@link Batch.Kind#DECOMMISSION} batch: its task marked the agent and its credentials decommissioned before
 * answering; here each credential's versions are revoked at its targets ({@link Decommissioning#finish}). Planned
 * again after a crash, it marks them again, which changes nothing that was marked. The same batch about one
 * credential is that credential's retirement ({@link OperatorBatches#retire}).
 */
public final class DecommissionWork implements BatchWork {
    private final Decommissioning decommissioning;

    public DecommissionWork(Decommissioning decommissioning) {
        this.decommissioning = decommissioning;
    }

    @Override
    public List<String> plan(Batch batch) {
        // A retired credential's batch (about the credential) was marked before it was recorded: nothing to mark again.
        return batch.aboutAgent() ? decommissioning.markNow(batch.subjectId(), batch.actor()) : List.of(batch.subjectId());
    }

    @Override
    public ItemResult run(Batch batch, String credentialId) {
        return decommissioning.finish(credentialId, batch.actor()) ? ItemResult.done()
                : ItemResult.failed("a removal from a target failed; it is retried until it succeeds (see the "
                + "credential's versions, revokeError)");
    }
}
