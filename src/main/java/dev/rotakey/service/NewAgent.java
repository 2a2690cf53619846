package dev.rotakey.service;

import java.time.Instant;
import java.util.Map;

/**
 * What {@link AgentService#create} is asked to register: the fields as given, unchecked (the service
 * validates them and names the offending field). Also the JSON body of {@code POST /api/v1/agents}.
 */
public record NewAgent(
        String id,
        String owner,
        String kind,
        String description,
        Instant expiresAt,
        Map<String, String> attributes,
        /** The agent's own attestation interval (ISO-8601), overriding {@code governance.attestEvery}; null: the policy's. */
        String attestEvery) {

    public NewAgent(String id, String owner, String kind, String description, Instant expiresAt,
                    Map<String, String> attributes) {
        this(id, owner, kind, description, expiresAt, attributes, null);
    }
}
