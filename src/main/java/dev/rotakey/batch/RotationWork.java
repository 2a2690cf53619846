package dev.rotakey.batch;

import dev.rotakey.core.Credential;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.db.Store;
import dev.rotakey.service.RotationService;

import java.util.List;
import java.util.Optional;

/**
 * A {@link Batch.Kind#ROTATE} batch: starts an operator's rotation of each active credential of the agent, through
 * the scheduler as any operator's rotation ({@link RotationService#startAsync}). A credential already rotating is
 * skipped, with the running rotation named; one this batch started before its node stopped is not started again.
 */
public final class RotationWork implements BatchWork {
    private final Store store;
    private final RotationService rotations;

    public RotationWork(Store store, RotationService rotations) {
        this.store = store;
        this.rotations = rotations;
    }

    @Override
    public List<String> plan(Batch batch) {
        String id = batch.subjectId();
        return batch.aboutAgent() ? store.read(d -> d.credentials().activeIdsOfAgent(id)) : List.of(id);
    }

    @Override
    public ItemResult run(Batch batch, String credentialId) {
        Optional<Rotation> mine = startedBy(batch, credentialId);
        if (mine.isPresent()) {
            // Started before the node stopped, its outcome not recorded: not started twice.
            return ItemResult.started(mine.get().id());
        }
        try {
            return ItemResult.started(rotations.startAsync(credentialId, RotationTrigger.OPERATOR, batch.actor(), false).id());
        } catch (RejectedException e) {
            Optional<Rotation> running = store.read(d -> d.rotations().running(credentialId));
            if (running.isPresent()) {
                return ItemResult.skipped("already-rotating", running.get().id(), e.getMessage());
            }
            Optional<Credential> c = store.read(d -> d.credentials().find(credentialId));
            String reason = c.isEmpty() ? "not-found" : !c.get().active() ? "decommissioned" : "refused";
            return ItemResult.skipped(reason, null, e.getMessage());
        }
    }

    /** A rotation of the credential this batch started: it carries the batch's correlation id and is not older. */
    private Optional<Rotation> startedBy(Batch batch, String credentialId) {
        if (batch.correlationId() == null) {
            return Optional.empty();
        }
        return store.read(d -> d.rotations().ofCredential(credentialId, 3)).stream()
                .filter(r -> batch.correlationId().equals(r.correlationId()) && !r.startedAt().isBefore(batch.createdAt()))
                .findFirst();
    }
}
