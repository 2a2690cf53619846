package dev.rotakey.service;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Attestation;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.AttestationDao.Attested;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Changes an agent in place ({@code PATCH /api/v1/agents/{id}}): its description, attributes and own attestation
 * interval at once, and its owner only through a transfer that waits for the new owner's attestation. Every change is
 * audited with its before and after.
 */
public final class AgentChanges {
    private static final Set<String> FIELDS = Set.of("owner", "description", "attributes", "attestEvery");
    private static final TypeReference<Map<String, String>> ATTRIBUTES = new TypeReference<>() {
    };
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Store store;
    private final AuditLog audit;
    private final Clock clock;

    public AgentChanges(Store store, AuditLog audit, Clock clock) {
        this.store = store;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Applies the fields present in {@code patch}; a field given as {@code null} clears it where it may be cleared
     * ({@code description}, {@code attestEvery}). An {@code owner} other than the current one is not applied: it starts
     * a transfer that the new owner completes by attesting the agent; the current owner cancels a waiting one.
     *
     * @throws RejectedException naming the field for a bad value or an unknown field; not found; conflict when the
     *                           agent is decommissioned
     */
    public Attested change(String agentId, JsonNode patch, String actor) {
        if (patch == null || !patch.isObject() || patch.isEmpty()) {
            throw RejectedException.badRequest("a JSON object with one or more of " + String.join(", ", FIELDS.stream()
                    .sorted().toList()) + " is required");
        }
        for (Iterator<String> it = patch.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!FIELDS.contains(field)) {
                throw RejectedException.invalid(field, "is not a field an agent's change may set (owner, description, "
                        + "attributes, attestEvery)");
            }
        }
        String owner = patch.has("owner") ? AgentService.owner(text(patch, "owner")) : null;
        String description = text(patch, "description");
        AgentService.description(description);
        Map<String, String> attributes = patch.has("attributes") ? attributes(patch.get("attributes")) : null;
        Duration attestEvery = AgentService.attestEvery(text(patch, "attestEvery"));
        return store.tx(tx -> {
            Attested found = tx.attestations().findAttestedForUpdate(agentId)
                    .orElseThrow(() -> RejectedException.notFound("agent", agentId));
            Agent before = found.agent();
            if (!before.active()) {
                throw RejectedException.conflict("agent '" + agentId + "' is decommissioned");
            }
            Attestation attestation = found.attestation();
            List<String> changes = new ArrayList<>();
            if (patch.has("description") && !Objects.equals(before.description(), description)) {
                changes.add("description changed");
            }
            if (attributes != null && !attributes.equals(before.attributes())) {
                changes.add("attributes: " + before.attributes() + " -> " + attributes);
            }
            if (!changes.isEmpty()) {
                tx.agents().update(agentId, patch.has("description") ? description : before.description(),
                        attributes != null ? attributes : before.attributes());
            }
            if (patch.has("attestEvery") && !Objects.equals(attestation.attestEvery(), attestEvery)) {
                tx.attestations().setAttestEvery(agentId, attestEvery);
                changes.add("attestEvery: " + orPolicy(attestation.attestEvery()) + " -> " + orPolicy(attestEvery));
            }
            if (!changes.isEmpty()) {
                audit.record(tx, actor, AuditAction.AGENT_CHANGED, AuditSubject.agent(agentId), "ok",
                        String.join("; ", changes));
            }
            if (owner != null) {
                transfer(tx, before, attestation, owner, actor);
            }
            return tx.attestations().findAttested(agentId).orElseThrow();
        });
    }

    private void transfer(Daos tx, Agent agent, Attestation attestation, String owner, String actor) {
        if (owner.equals(agent.owner())) {
            if (attestation.pendingOwner() != null) {
                tx.attestations().setPendingOwner(agent.id(), null, null);
                audit.record(tx, actor, AuditAction.AGENT_CHANGED, AuditSubject.agent(agent.id()), "ok",
                        "transfer to " + attestation.pendingOwner() + " cancelled; owner stays " + owner);
            }
            return;
        }
        if (owner.equals(attestation.pendingOwner())) {
            return;
        }
        tx.attestations().setPendingOwner(agent.id(), owner, clock.instant());
        audit.record(tx, actor, AuditAction.AGENT_TRANSFER_REQUESTED, AuditSubject.agent(agent.id()), "ok",
                "owner " + agent.owner() + " -> " + owner + ": waits for " + owner + "'s attestation");
    }

    private static String orPolicy(Duration d) {
        return d == null ? "(policy)" : d.toString();
    }

    private static String text(JsonNode patch, String field) {
        JsonNode v = patch.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw RejectedException.invalid(field, "must be a string");
        }
        return v.asText();
    }

    private static Map<String, String> attributes(JsonNode v) {
        if (v == null || v.isNull()) {
            return Map.of();
        }
        if (!v.isObject()) {
            throw RejectedException.invalid("attributes", "must be an object of string values");
        }
        for (JsonNode value : v) {
            if (!value.isTextual()) {
                throw RejectedException.invalid("attributes", "must be an object of string values");
            }
        }
        return AgentService.attributes(JSON.convertValue(v, ATTRIBUTES));
    }
}
