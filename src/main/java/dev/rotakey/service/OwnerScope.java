package dev.rotakey.service;

import dev.rotakey.core.Credential;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.Store;

import java.util.Optional;

/**
 * What a caller bound to an owner (an owner-scoped token) or to one agent (an agent's client certificate) may reach:
 * that owner's agents, or that one agent, their credentials and their rotations, and the batches of its rotate tasks.
 * Anything else is answered as if it did not exist, so that such a caller learns nothing of others' inventory. A
 * caller bound to neither reaches everything its role allows.
 */
public final class OwnerScope {
    private final Store store;

    /**
     * What a caller is confined to: the agents of {@code owner}, or the one agent {@code agent}; null for not bound.
     */
    public record Bounds(String owner, String agent) {
        /** Bound to nothing: everything the caller's role allows. */
        public static final Bounds NONE = new Bounds(null, null);

        public boolean unbound() {
            return owner == null && agent == null;
        }
    }

    public OwnerScope(Store store) {
        this.store = store;
    }

    /** @throws RejectedException (not found) unless {@code owner} is null or owns the agent */
    public void agent(String owner, String agentId) {
        agent(new Bounds(owner, null), agentId);
    }

    /** @throws RejectedException (not found) unless {@code bounds} reach the agent */
    public void agent(Bounds bounds, String agentId) {
        if (!reaches(bounds, agentId)) {
            throw RejectedException.notFound("agent", agentId);
        }
    }

    /** @throws RejectedException (not found) unless {@code owner} is null or owns the credential's agent */
    public void credential(String owner, String credentialId) {
        credential(new Bounds(owner, null), credentialId);
    }

    /** @throws RejectedException (not found) unless {@code bounds} reach the credential's agent */
    public void credential(Bounds bounds, String credentialId) {
        if (!bounds.unbound() && !store.read(d -> d.credentials().find(credentialId)).map(Credential::agentId)
                .map(a -> reaches(bounds, a)).orElse(false)) {
            throw RejectedException.notFound("credential", credentialId);
        }
    }

    /**
     * The agent a list of credentials is filtered by: the one asked for ({@code requested}, null for all), or for a
     * caller bound to one agent that agent.
     *
     * @throws RejectedException (not found) when an agent-bound caller asks for another agent's
     */
    public String listedAgent(Bounds bounds, String requested) {
        if (bounds.agent() == null) {
            return requested;
        }
        if (requested != null && !requested.equals(bounds.agent())) {
            throw RejectedException.notFound("agent", requested);
        }
        return bounds.agent();
    }

    /** @throws RejectedException (not found) unless {@code owner} is null or owns the rotated credential's agent */
    public void rotation(String owner, String rotationId) {
        rotation(new Bounds(owner, null), rotationId);
    }

    /** @throws RejectedException (not found) unless {@code bounds} reach the rotated credential's agent */
    public void rotation(Bounds bounds, String rotationId) {
        if (bounds.unbound()) {
            return;
        }
        String credentialId = store.read(d -> d.rotations().find(rotationId))
                .orElseThrow(() -> RejectedException.notFound("rotation", rotationId)).credentialId();
        try {
            credential(bounds, credentialId);
        } catch (RejectedException e) {
            throw RejectedException.notFound("rotation", rotationId);
        }
    }

    /** @throws RejectedException (not found) unless {@code owner} is null or owns what the batch is about */
    public void batch(String owner, String batchId) {
        batch(new Bounds(owner, null), batchId);
    }

    /** @throws RejectedException (not found) unless {@code bounds} reach what the batch is about */
    public void batch(Bounds bounds, String batchId) {
        if (bounds.unbound()) {
            return;
        }
        var batch = store.read(d -> d.batches().find(batchId))
                .orElseThrow(() -> RejectedException.notFound("batch", batchId));
        try {
            if (batch.aboutAgent()) {
                agent(bounds, batch.subjectId());
            } else {
                credential(bounds, batch.subjectId());
            }
        } catch (RejectedException e) {
            throw RejectedException.notFound("batch", batchId);
        }
    }

    /** Whether {@code bounds} reach the agent: it is the bound agent, or one of the bound owner's. */
    private boolean reaches(Bounds bounds, String agentId) {
        if (bounds.agent() != null && !bounds.agent().equals(agentId)) {
            return false;
        }
        return bounds.owner() == null || ownerOfAgent(agentId).map(bounds.owner()::equals).orElse(false);
    }

    private Optional<String> ownerOfAgent(String agentId) {
        return store.read(d -> d.agents().find(agentId)).map(a -> a.owner());
    }
}
