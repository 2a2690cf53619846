package dev.rotakey.api;

import java.time.Instant;
import java.util.Map;

/** Body of {@code POST /api/v1/agents}. Validated by the service, which names the offending field. */
public record CreateAgentRequest(
        String id,
        String owner,
        String kind,
        String description,
        Instant expiresAt,
        Map<String, String> attributes) {
}
