package dev.rotakey.core;

import java.time.Instant;
import java.util.Map;

/** A non-human identity (an AI agent, a bot, a workload) and the person or team accountable for it. */
public record Agent(
        String id,
        String owner,
        AgentKind kind,
        String description,
        Map<String, String> attributes,
        AgentStatus status,
        Instant expiresAt,
        Instant createdAt,
        Instant decommissionedAt) {

    public Agent {
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    /** Persistent agents live until decommissioned; ephemeral ones until {@code expiresAt}. */
    public enum AgentKind {
        PERSISTENT, EPHEMERAL
    }

    public enum AgentStatus {
        ACTIVE, DECOMMISSIONED
    }

    public boolean active() {
        return status == AgentStatus.ACTIVE;
    }

    public Agent decommissioned(Instant at) {
        return new Agent(id, owner, kind, description, attributes, AgentStatus.DECOMMISSIONED, expiresAt, createdAt, at);
    }
}
