package dev.rotakey.api;

import dev.rotakey.core.Agent;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/** An agent as the API shows it. */
public record AgentView(
        String id,
        String owner,
        String kind,
        String description,
        Map<String, String> attributes,
        String status,
        Instant expiresAt,
        Instant createdAt,
        Instant decommissionedAt) {

    public static AgentView of(Agent a) {
        return new AgentView(a.id(), a.owner(), a.kind().name().toLowerCase(Locale.ROOT), a.description(),
                a.attributes(), a.status().name().toLowerCase(Locale.ROOT), a.expiresAt(), a.createdAt(),
                a.decommissionedAt());
    }
}
