package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Attestation;
import dev.rotakey.core.AttestationPolicy;
import dev.rotakey.service.Attestations;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/** An agent as the API shows it, with where its owner's attestation stands when that is known. */
public record AgentView(
        String id,
        String owner,
        String kind,
        String description,
        Map<String, String> attributes,
        String status,
        Instant expiresAt,
        Instant createdAt,
        Instant decommissionedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) AttestationView attestation) {

    /**
     * The agent's attestation: its state ({@code not-required}, {@code current}, {@code due}, {@code overdue},
     * {@code suspended}), the interval that applies and whether it is the agent's own, the last attestation, the
     * deadline, and an ownership transfer waiting for the new owner's attestation.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AttestationView(String state, String every, boolean ownInterval, Instant attestedAt, String attestedBy,
                                  Instant dueAt, Instant suspendedAt, String pendingOwner, Instant pendingOwnerSince) {
        static AttestationView of(Attestation a, AttestationPolicy.Standing s) {
            return new AttestationView(s.state().wireName(), s.every() == null ? null : IsoDurations.format(s.every()),
                    a.attestEvery() != null, a.attestedAt(), a.attestedBy(), s.dueAt(), a.suspendedAt(),
                    a.pendingOwner(), a.pendingOwnerSince());
        }
    }

    public static AgentView of(Agent a) {
        return of(a, null);
    }

    public static AgentView of(Attestations.Standing s) {
        return of(s.agent(), AttestationView.of(s.attestation(), s.standing()));
    }

    private static AgentView of(Agent a, AttestationView attestation) {
        return new AgentView(a.id(), a.owner(), a.kind().name().toLowerCase(Locale.ROOT), a.description(),
                a.attributes(), a.status().name().toLowerCase(Locale.ROOT), a.expiresAt(), a.createdAt(),
                a.decommissionedAt(), attestation);
    }
}
