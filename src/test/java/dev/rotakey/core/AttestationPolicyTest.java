package dev.rotakey.core;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Where an agent stands with its owner's attestation: the pure rule, at the edges of its windows. */
class AttestationPolicyTest {
    private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
    private static final AttestationPolicy P90 = new AttestationPolicy(Duration.ofDays(90), Duration.ofDays(14));

    private static Agent persistent() {
        return new Agent("a1", "team", Agent.AgentKind.PERSISTENT, null, Map.of(), Agent.AgentStatus.ACTIVE, null,
                CREATED, null);
    }

    private static Agent ephemeral(Instant expiresAt) {
        return new Agent("e1", "team", Agent.AgentKind.EPHEMERAL, null, Map.of(), Agent.AgentStatus.ACTIVE, expiresAt,
                CREATED, null);
    }

    private static Attestation attested(Instant at) {
        return new Attestation("a1", null, at, "token:alice", null, null, null);
    }

    @Test
    void theDeadlineCountsFromCreationUntilTheFirstAttestationThenFromTheLast() {
        Instant due = CREATED.plus(Duration.ofDays(90));
        assertThat(P90.standing(persistent(), Attestation.none("a1"), CREATED).dueAt()).isEqualTo(due);
        Instant later = CREATED.plus(Duration.ofDays(80));
        assertThat(P90.standing(persistent(), attested(later), later).dueAt()).isEqualTo(later.plus(Duration.ofDays(90)));
    }

    @Test
    void currentThenDueAtTheWarningThenOverdueAtTheDeadline() {
        Instant due = CREATED.plus(Duration.ofDays(90));
        Attestation none = Attestation.none("a1");
        assertThat(P90.standing(persistent(), none, due.minus(Duration.ofDays(14)).minusMillis(1)).state())
                .isEqualTo(AttestationPolicy.State.CURRENT);
        assertThat(P90.standing(persistent(), none, due.minus(Duration.ofDays(14))).state())
                .isEqualTo(AttestationPolicy.State.DUE);
        assertThat(P90.standing(persistent(), none, due.minusMillis(1)).state()).isEqualTo(AttestationPolicy.State.DUE);
        assertThat(P90.standing(persistent(), none, due).state()).isEqualTo(AttestationPolicy.State.OVERDUE);
        Attestation suspended = new Attestation("a1", null, null, null, due, null, null);
        assertThat(P90.standing(persistent(), suspended, due).state()).isEqualTo(AttestationPolicy.State.SUSPENDED);
    }

    @Test
    void anAgentsOwnIntervalOverridesThePolicyAndWorksWithThePolicyOff() {
        Attestation own = new Attestation("a1", Duration.ofDays(30), null, null, null, null, null);
        assertThat(P90.standing(persistent(), own, CREATED).dueAt()).isEqualTo(CREATED.plus(Duration.ofDays(30)));
        assertThat(AttestationPolicy.OFF.standing(persistent(), own, CREATED.plus(Duration.ofDays(31))).state())
                .isEqualTo(AttestationPolicy.State.OVERDUE);
        assertThat(AttestationPolicy.OFF.standing(persistent(), Attestation.none("a1"), CREATED.plus(Duration.ofDays(999)))
                .state()).isEqualTo(AttestationPolicy.State.NOT_REQUIRED);
    }

    @Test
    void anEphemeralAgentThatExpiresFirstKeepsItsOwnExpiryAndIsNeverAsked() {
        Instant due = CREATED.plus(Duration.ofDays(90));
        assertThat(P90.standing(ephemeral(due), Attestation.none("e1"), due.minusSeconds(1)).state())
                .isEqualTo(AttestationPolicy.State.NOT_REQUIRED);
        assertThat(P90.standing(ephemeral(due.plusSeconds(1)), Attestation.none("e1"), due.minusSeconds(1)).state())
                .isEqualTo(AttestationPolicy.State.DUE);
    }

    @Test
    void aDecommissionedAgentIsNotAsked() {
        Agent gone = persistent().decommissioned(CREATED.plus(Duration.ofDays(1)));
        assertThat(P90.standing(gone, Attestation.none("a1"), CREATED.plus(Duration.ofDays(200))).state())
                .isEqualTo(AttestationPolicy.State.NOT_REQUIRED);
    }
}
