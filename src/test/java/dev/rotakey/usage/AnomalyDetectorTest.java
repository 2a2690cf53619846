package dev.rotakey.usage;

import dev.rotakey.core.VersionState;
import dev.rotakey.usage.AnomalyDetector.Whose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The detector's decisions with a fixed clock and synthetic counts: learning period, baseline and its floor, spikes. */
class AnomalyDetectorTest {
    private static final Instant NOW = Instant.parse("2026-12-20T10:30:00Z");
    private static final Instant HOUR = Instant.parse("2026-12-20T10:00:00Z");
    private static final Whose WHO = new Whose("c1", 3, "agent-1", "team@example.com");

    private final UsageFactory config = new UsageFactory();
    private final AnomalyDetector detector = new AnomalyDetector(config);

    @Test
    void aCredentialLearnsForTheLearningPeriod() {
        assertThat(detector.learning(null, NOW)).isTrue();
        assertThat(detector.learning(NOW.minus(Duration.ofDays(6)), NOW)).isTrue();
        assertThat(detector.learning(NOW.minus(Duration.ofDays(7)), NOW)).isFalse();
        assertThat(detector.newValue(WHO, AnomalyKind.NEW_SERVICE, "svc", NOW.minus(Duration.ofDays(6)), NOW)).isEmpty();
        assertThat(detector.spike(WHO, HOUR, 1_000_000, 0, NOW.minus(Duration.ofDays(6)), NOW)).isEmpty();
    }

    @Test
    void theBaselineIsTheMeanOverTheWindowSinceFirstUseWithAFloor() {
        Instant longAgo = NOW.minus(Duration.ofDays(100));
        // 14 days = 336 hours.
        assertThat(detector.baseline(3360, longAgo, HOUR)).isCloseTo(10.0, within(1e-9));
        // First used 10 hours before the hour: the mean is over those 10 hours only.
        assertThat(detector.baseline(100, HOUR.minus(Duration.ofHours(10)).plusSeconds(120), HOUR))
                .isCloseTo(10.0, within(1e-9));
        // Rarely used: the floor.
        assertThat(detector.baseline(3, longAgo, HOUR)).isEqualTo(AnomalyDetector.BASELINE_FLOOR);
    }

    @Test
    void aSpikeIsFarAboveTheBaselineAndAboveTheMinimum() {
        Instant first = NOW.minus(Duration.ofDays(30));
        // Baseline 10/hour: 100 is exactly ten times, not above; 101 is a spike.
        assertThat(detector.spike(WHO, HOUR, 100, 3360, first, NOW)).isEmpty();
        Optional<Anomaly> spike = detector.spike(WHO, HOUR, 101, 3360, first, NOW);
        assertThat(spike).isPresent();
        assertThat(spike.get().kind()).isEqualTo(AnomalyKind.SPIKE);
        assertThat(spike.get().detail()).contains("101 uses").contains("10.00 uses/hour");
        assertThat(spike.get().dedupKey()).isEqualTo("c1|spike|" + HOUR + "|" + HOUR);
        // Baseline at the floor (1/hour): 99 uses are 99 times it but under spikeMinimumUses (100).
        assertThat(detector.spike(WHO, HOUR, 99, 0, first, NOW)).isEmpty();
        assertThat(detector.spike(WHO, HOUR, 100, 0, first, NOW)).isPresent();
    }

    @Test
    void newServicesAndNetworksAfterLearning() {
        Instant first = NOW.minus(Duration.ofDays(8));
        Anomaly a = detector.newValue(WHO, AnomalyKind.NEW_NETWORK, "10.9.9.0/24", first, NOW).orElseThrow();
        assertThat(a.subject()).isEqualTo("10.9.9.0/24");
        assertThat(a.auditSubject()).isEqualTo("credential:c1/v3");
        assertThat(a.dedupKey()).isEqualTo("c1|new-network|10.9.9.0/24|" + HOUR);
    }

    @Test
    void aPreviousVersionAllowedShortlyBeforeItsRevocationIsLate() {
        Instant revokeAfter = NOW.plus(Duration.ofMinutes(30));
        assertThat(detector.previousLate(use(VersionState.PREVIOUS, revokeAfter, null))).isTrue();
        // Refused, or CURRENT, or far from its revocation: not late.
        assertThat(detector.previousLate(use(VersionState.PREVIOUS, revokeAfter, "scope"))).isFalse();
        assertThat(detector.previousLate(use(VersionState.CURRENT, null, null))).isFalse();
        assertThat(detector.previousLate(use(VersionState.PREVIOUS, NOW.plus(Duration.ofHours(2)), null))).isFalse();
        // Past its revokeAfter but not yet revoked (waiting for acknowledgements): still late.
        assertThat(detector.previousLate(use(VersionState.PREVIOUS, NOW.minusSeconds(1), null))).isTrue();
        Anomaly a = detector.previousLate(new Whose("c1", 2, "agent-1", "team@example.com"), "billing", NOW, revokeAfter,
                NOW);
        assertThat(a.kind()).isEqualTo(AnomalyKind.PREVIOUS_LATE);
        assertThat(a.auditSubject()).isEqualTo("credential:c1/v2");
        assertThat(a.detail()).contains("billing").contains(revokeAfter.toString());
    }

    private static CredentialUse use(VersionState state, Instant revokeAfter, String refusal) {
        return new CredentialUse("c1", 2, state, revokeAfter, "agent-1", "team@example.com", "billing", "10.0.0.1",
                refusal, NOW);
    }
}
