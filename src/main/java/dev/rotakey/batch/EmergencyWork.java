package dev.rotakey.batch;

import dev.rotakey.service.EmergencyRevocation;

import java.util.List;

/**
 * A {@link Batch.Kind#REVOKE} batch: its task started the emergency rotation and revoked the credential's PREVIOUS
 * versions before answering; here they are removed from the targets ({@link EmergencyRevocation#finish}).
 */
public final class EmergencyWork implements BatchWork {
    private final EmergencyRevocation emergencies;

    public EmergencyWork(EmergencyRevocation emergencies) {
        this.emergencies = emergencies;
    }

    @Override
    public List<String> plan(Batch batch) {
        return List.of(batch.subjectId());
    }

    @Override
    public ItemResult run(Batch batch, String credentialId) {
        return emergencies.finish(credentialId, batch.actor()) ? ItemResult.done()
                : ItemResult.failed("a removal from a target failed; it is retried until it succeeds (see the "
                + "credential's versions, revokeError)");
    }
}
