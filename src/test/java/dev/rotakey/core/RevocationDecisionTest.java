package dev.rotakey.core;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RevocationDecision}: grace first, then acknowledgements, then the maximum grace period. */
class RevocationDecisionTest {
    private static final Instant PROMOTED = Instant.parse("2026-03-01T12:00:00Z");
    private static final Instant GRACE_ENDS = PROMOTED.plus(Duration.ofHours(1));
    private static final Instant DEADLINE = PROMOTED.plus(Duration.ofHours(3));
    private static final AcknowledgementPolicy ACKS =
            new AcknowledgementPolicy(List.of("web", "worker"), Duration.ofHours(3));

    @Test
    void duringGraceItWaitsForTheEndOfGraceWhateverThePolicy() {
        for (AcknowledgementPolicy p : new AcknowledgementPolicy[]{null, ACKS}) {
            RevocationDecision d = RevocationDecision.decide(GRACE_ENDS, PROMOTED, p, Set.of("web", "worker"),
                    GRACE_ENDS.minusSeconds(1));
            assertThat(d.outcome()).isEqualTo(RevocationDecision.Outcome.WAIT);
            assertThat(d.checkAgainAt()).isEqualTo(GRACE_ENDS);
        }
    }

    @Test
    void withoutRevokeAfterItWaits() {
        RevocationDecision d = RevocationDecision.decide(null, PROMOTED, null, Set.of(), GRACE_ENDS);
        assertThat(d.outcome()).isEqualTo(RevocationDecision.Outcome.WAIT);
        assertThat(d.checkAgainAt()).isNull();
    }

    @Test
    void graceOnlyRevokesOnceGraceIsOver() {
        RevocationDecision d = RevocationDecision.decide(GRACE_ENDS, PROMOTED, null, Set.of(), GRACE_ENDS);
        assertThat(d.outcome()).isEqualTo(RevocationDecision.Outcome.REVOKE);
        assertThat(d.missing()).isEmpty();
    }

    @Test
    void graceOverButAcksMissingWaitsUntilTheDeadline() {
        RevocationDecision d = RevocationDecision.decide(GRACE_ENDS, PROMOTED, ACKS, Set.of("web"),
                GRACE_ENDS.plusSeconds(60));
        assertThat(d.outcome()).isEqualTo(RevocationDecision.Outcome.WAIT);
        assertThat(d.checkAgainAt()).isEqualTo(DEADLINE);
        assertThat(d.missing()).containsExactly("worker");
    }

    @Test
    void everyConsumerAcknowledgedRevokesOnceGraceIsOver() {
        RevocationDecision d = RevocationDecision.decide(GRACE_ENDS, PROMOTED, ACKS, Set.of("worker", "web", "extra"),
                GRACE_ENDS);
        assertThat(d.outcome()).isEqualTo(RevocationDecision.Outcome.REVOKE);
        assertThat(d.missing()).isEmpty();
    }

    @Test
    void maxGracePeriodOverRevokesAndNamesTheMissingConsumers() {
        RevocationDecision d = RevocationDecision.decide(GRACE_ENDS, PROMOTED, ACKS, Set.of(), DEADLINE);
        assertThat(d.outcome()).isEqualTo(RevocationDecision.Outcome.REVOKE_UNACKNOWLEDGED);
        assertThat(d.missing()).containsExactly("web", "worker");
        assertThat(d.checkAgainAt()).isNull();
    }

    @Test
    void aDeadlineBeforeTheEndOfGraceIsTheEndOfGrace() {
        Instant late = GRACE_ENDS.plus(Duration.ofHours(5));
        RevocationDecision d = RevocationDecision.decide(late, PROMOTED, ACKS, Set.of(), late);
        assertThat(d.outcome()).isEqualTo(RevocationDecision.Outcome.REVOKE_UNACKNOWLEDGED);
    }

    @Test
    void unknownPromotionFallsBackToTheEndOfGrace() {
        RevocationDecision d = RevocationDecision.decide(GRACE_ENDS, null, ACKS, Set.of(), GRACE_ENDS);
        assertThat(d.outcome()).isEqualTo(RevocationDecision.Outcome.REVOKE_UNACKNOWLEDGED);
    }

    @Test
    void thePolicyRefusesBadConsumerLists() {
        assertThatThrownBy(() -> new AcknowledgementPolicy(List.of(), Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AcknowledgementPolicy(List.of("no spaces"), Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AcknowledgementPolicy(
                java.util.stream.IntStream.range(0, 33).mapToObj(i -> "c" + i).toList(), Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AcknowledgementPolicy(List.of("web"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
