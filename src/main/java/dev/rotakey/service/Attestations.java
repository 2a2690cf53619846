package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Attestation;
import dev.rotakey.core.AttestationPolicy;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.AttestationDao.Attested;
import dev.rotakey.db.Store;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Owners' re-certification of their agents ({@code POST /api/v1/agents/{id}/attest}): records who attested and when,
 * lifts a suspension, and completes an ownership transfer when the new owner is the one attesting. Also answers where
 * an agent stands, for the views.
 */
public final class Attestations {
    /** An agent with its attestation and where it stands now. */
    public record Standing(Agent agent, Attestation attestation, AttestationPolicy.Standing standing) {
    }

    private final Store store;
    private final AuditLog audit;
    private final AttestationPolicy policy;
    private final Clock clock;

    public Attestations(Store store, AuditLog audit, AttestationPolicy policy, Clock clock) {
        this.store = store;
        this.audit = audit;
        this.policy = policy;
        this.clock = clock;
    }

    public AttestationPolicy policy() {
        return policy;
    }

    /**
     * Records {@code caller}'s attestation of the agent now. An operator attests for the current owner; an owner-scoped
     * token for its own agents, or for an agent whose transfer to its owner waits, which completes the transfer.
     *
     * @throws RejectedException not found when the agent does not exist or the caller's owner neither owns it nor is
     *                           the one it is being transferred to; conflict when it is decommissioned
     */
    public Standing attest(String agentId, Operator caller) {
        String actor = caller.actor();
        String callerOwner = caller.owner();
        return store.tx(tx -> {
            Attested found = tx.attestations().findAttestedForUpdate(agentId)
                    .orElseThrow(() -> RejectedException.notFound("agent", agentId));
            Agent agent = found.agent();
            Attestation before = found.attestation();
            boolean newOwner = callerOwner != null && callerOwner.equals(before.pendingOwner());
            if (callerOwner != null && !callerOwner.equals(agent.owner()) && !newOwner) {
                throw RejectedException.notFound("agent", agentId);
            }
            if (!agent.active()) {
                throw RejectedException.conflict("agent '" + agentId + "' is decommissioned");
            }
            Instant now = clock.instant();
            tx.attestations().attest(agentId, now, actor);
            Agent current = agent;
            if (newOwner) {
                tx.attestations().completeTransfer(agentId, callerOwner);
                audit.record(tx, actor, AuditAction.AGENT_CHANGED, AuditSubject.agent(agentId), "ok",
                        "owner: " + agent.owner() + " -> " + callerOwner + " (transfer attested by the new owner)");
                current = new Agent(agent.id(), callerOwner, agent.kind(), agent.description(), agent.attributes(),
                        agent.status(), agent.expiresAt(), agent.createdAt(), agent.decommissionedAt());
            }
            String owner = current.owner();
            // What the two updates above wrote: a transfer that completed no longer waits.
            Attestation after = new Attestation(agentId, before.attestEvery(), now, actor, null,
                    newOwner ? null : before.pendingOwner(), newOwner ? null : before.pendingOwnerSince());
            AttestationPolicy.Standing standing = policy.standing(current, after, now);
            audit.record(tx, actor, AuditAction.AGENT_ATTESTED, AuditSubject.agent(agentId), "ok",
                    "owner=" + owner + (standing.dueAt() == null ? "" : " next due " + standing.dueAt())
                            + (before.pendingOwner() != null && !newOwner
                            ? " (the transfer to " + before.pendingOwner() + " still waits for that owner's attestation)"
                            : ""));
            if (before.suspended()) {
                audit.record(tx, actor, AuditAction.AGENT_RESUMED, AuditSubject.agent(agentId), "ok",
                        "suspended since " + before.suspendedAt() + "; re-attested, keys accepted and scheduled "
                                + "rotations resumed");
            }
            return new Standing(current, after, standing);
        });
    }

    /**
     * Where one agent stands now, in one read of its row.
     *
     * @throws RejectedException not found when there is no such agent
     */
    public Standing standing(String agentId) {
        return standing(store.read(d -> d.attestations().findAttested(agentId))
                .orElseThrow(() -> RejectedException.notFound("agent", agentId)));
    }

    /** Where an agent just read with its attestation stands now. */
    public Standing standing(Attested found) {
        return new Standing(found.agent(), found.attestation(),
                policy.standing(found.agent(), found.attestation(), clock.instant()));
    }

    /** Where one agent stands now. */
    public Standing standing(Agent agent) {
        Attestation a = store.read(d -> d.attestations().find(agent.id())).orElse(Attestation.none(agent.id()));
        return new Standing(agent, a, policy.standing(agent, a, clock.instant()));
    }

    /** Where each agent of a page stands now, in one look-up. */
    public List<Standing> standings(List<Agent> agents) {
        Map<String, Attestation> all = store.read(d -> d.attestations().findAll(agents.stream().map(Agent::id).toList()));
        Instant now = clock.instant();
        return agents.stream().map(a -> {
            Attestation at = Objects.requireNonNullElse(all.get(a.id()), Attestation.none(a.id()));
            return new Standing(a, at, policy.standing(a, at, now));
        }).toList();
    }
}
