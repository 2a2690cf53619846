package dev.rotakey.service;

import dev.rotakey.core.Credential;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.Store;

import java.util.Optional;

/**
 * What a caller bound to an owner (an owner-scoped token) may reach: that owner's agents, their credentials and their
 * rotations, and the batches of its rotate tasks. Anything else is answered as if it did not exist, so that such a token learns nothing of other owners'
 * inventory. A caller bound to no owner ({@code null}) reaches everything its role allows.
 */
public final class OwnerScope {
    private final Store store;

    public OwnerScope(Store store) {
        this.store = store;
    }

    /** @throws RejectedException (not found) unless {@code owner} is null or owns the agent */
    public void agent(String owner, String agentId) {
        if (owner != null && !ownerOfAgent(agentId).map(owner::equals).orElse(false)) {
            throw RejectedException.notFound("agent", agentId);
        }
    }

    /** @throws RejectedException (not found) unless {@code owner} is null or owns the credential's agent */
    public void credential(String owner, String credentialId) {
        if (owner != null && !store.read(d -> d.credentials().find(credentialId)).map(Credential::agentId)
                .flatMap(this::ownerOfAgent).map(owner::equals).orElse(false)) {
            throw RejectedException.notFound("credential", credentialId);
        }
    }

    /** @throws RejectedException (not found) unless {@code owner} is null or owns the rotated credential's agent */
    public void rotation(String owner, String rotationId) {
        if (owner == null) {
            return;
        }
        String credentialId = store.read(d -> d.rotations().find(rotationId))
                .orElseThrow(() -> RejectedException.notFound("rotation", rotationId)).credentialId();
        try {
            credential(owner, credentialId);
        } catch (RejectedException e) {
            throw RejectedException.notFound("rotation", rotationId);
        }
    }

    /** @throws RejectedException (not found) unless {@code owner} is null or owns what the batch is about */
    public void batch(String owner, String batchId) {
        if (owner == null) {
            return;
        }
        var batch = store.read(d -> d.batches().find(batchId))
                .orElseThrow(() -> RejectedException.notFound("batch", batchId));
        try {
            if (batch.aboutAgent()) {
                agent(owner, batch.subjectId());
            } else {
                credential(owner, batch.subjectId());
            }
        } catch (RejectedException e) {
            throw RejectedException.notFound("batch", batchId);
        }
    }

    private Optional<String> ownerOfAgent(String agentId) {
        return store.read(d -> d.agents().find(agentId)).map(a -> a.owner());
    }
}
