package dev.rotakey.core;

import dev.rotakey.target.TargetBinding;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** One secret an agent uses, with its rotation policy, grace period, key backend and target bindings. */
public record Credential(
        String id,
        String agentId,
        CredentialType type,
        String backend,
        RotationPolicy policy,
        Duration gracePeriod,
        List<TargetBinding> bindings,
        CredentialStatus status,
        Instant nextRotationAt,
        Instant createdAt,
        Instant decommissionedAt) {

    public Credential {
        bindings = List.copyOf(bindings);
    }

    public enum CredentialStatus {
        ACTIVE, DECOMMISSIONED
    }

    public boolean active() {
        return status == CredentialStatus.ACTIVE;
    }
}
