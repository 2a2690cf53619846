package dev.rotakey.batch;

import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.db.Store;
import dev.rotakey.service.BatchedRotations;
import dev.rotakey.service.RotationService;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Batch.Kind#ROTATE} batch: rotates each active credential of the agent as an operator's rotation, a chunk at
 * a time through {@link BatchedRotations}, which commits each step once for the chunk. A credential already rotating
 * is skipped, with the running rotation named; one this batch started before its node stopped is not started again;
 * one that needs the executor's recovery first starts on its own, through the scheduler
 * ({@link RotationService#startAsync}).
 */
public final class RotationWork implements BatchWork {
    private final Store store;
    private final RotationService rotations;
    private final BatchedRotations together;

    public RotationWork(Store store, RotationService rotations, BatchedRotations together) {
        this.store = store;
        this.rotations = rotations;
        this.together = together;
    }

    @Override
    public List<String> plan(Batch batch) {
        String id = batch.subjectId();
        return batch.aboutAgent() ? store.read(d -> d.credentials().activeIdsOfAgent(id)) : List.of(id);
    }

    @Override
    public int together() {
        return BatchedRotations.CHUNK;
    }

    @Override
    public ItemResult run(Batch batch, String credentialId) {
        return runAll(batch, List.of(credentialId)).get(0);
    }

    @Override
    public List<ItemResult> runAll(Batch batch, List<String> credentialIds) {
        List<ItemResult> out = new ArrayList<>();
        for (BatchedRotations.Outcome o : together.rotate(credentialIds, RotationTrigger.OPERATOR, batch.actor(),
                batch.correlationId(), batch.createdAt(), batch.id())) {
            out.add(switch (o.kind()) {
                case STARTED -> ItemResult.started(o.rotation().id());
                case ALREADY_ROTATING -> ItemResult.skipped("already-rotating", o.rotation().id(), o.detail());
                case NOT_FOUND -> ItemResult.skipped("not-found", null, o.detail());
                case DECOMMISSIONED -> ItemResult.skipped("decommissioned", null, o.detail());
                case NOT_DUE -> throw new IllegalStateException("an operator's rotation is never judged due or not");
                case ALONE -> alone(batch, o.credentialId());
                case FAILED -> ItemResult.failed(o.detail());
            });
        }
        return out;
    }

    /** Starts the rotation of a credential that needs the executor's recovery first, in the scheduler's workers. */
    private ItemResult alone(Batch batch, String credentialId) {
        try {
            return ItemResult.started(rotations.startAsync(credentialId, RotationTrigger.OPERATOR, batch.actor(), false).id());
        } catch (RejectedException e) {
            // Changed since the chunk looked at it (decommissioned, or rotating after all).
            return ItemResult.skipped("refused", null, e.getMessage());
        }
    }
}
