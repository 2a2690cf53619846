package dev.rotakey.service;

import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.Daos;

import java.util.List;

/**
 * Stores a new credential under its agent, with the resources its bindings claim, or refuses it: the checks creation
 * and import share, made in the caller's transaction with the agent's row locked.
 */
final class NewCredentialRows {
    private NewCredentialRows() {
    }

    /** 422 for an unknown agent, 409 for a decommissioned one, an existing id or a resource another credential holds. */
    static void insert(Daos tx, Credential c, BindingClaims claims, List<BindingClaims.Claim> wanted) {
        Agent agent = tx.agents().findForUpdate(c.agentId())
                .orElseThrow(() -> RejectedException.invalid("agent", "agent '" + c.agentId() + "' does not exist"));
        if (!agent.active()) {
            throw RejectedException.conflict("agent '" + c.agentId() + "' is decommissioned");
        }
        if (tx.credentials().find(c.id()).isPresent()) {
            throw RejectedException.conflict("credential '" + c.id() + "' already exists");
        }
        tx.credentials().insert(c);
        // In the same transaction: a refused claim leaves no credential behind, and two creations racing for one
        // resource cannot both commit (the claims' primary key).
        claims.claim(tx, c, wanted);
    }
}
