package dev.rotakey.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.TimeZone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RotationPolicy}: next due times for {@code every} and Quartz {@code cron} (UTC), deterministic per-credential jitter, and validation. */
class RotationPolicyTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration ONE_HOUR = Duration.ofHours(1);

    @Test
    void everyIsDueOneIntervalAfterTheLastRotation() {
        RotationPolicy p = RotationPolicy.every(Duration.ofDays(30));

        assertThat(p.nextDue("cred-1", T0, 0.0, ONE_HOUR)).isEqualTo(T0.plus(Duration.ofDays(30)));
        assertThat(p.nominalInterval(T0)).isEqualTo(Duration.ofDays(30));
        assertThat(RotationPolicy.every(Duration.ofMinutes(90)).nextDue("cred-1", T0, 0.0, ONE_HOUR))
                .isEqualTo(Instant.parse("2026-01-01T01:30:00Z"));
    }

    @Test
    void cronIsDueAtItsNextFireTimeInUtc() {
        RotationPolicy p = RotationPolicy.cron("0 0 3 * * ?");

        assertThat(p.nextDue("cred-1", Instant.parse("2026-01-01T05:00:00Z"), 0.0, ONE_HOUR))
                .isEqualTo(Instant.parse("2026-01-02T03:00:00Z"));
        assertThat(p.nextDue("cred-1", Instant.parse("2026-01-01T02:59:59Z"), 0.0, ONE_HOUR))
                .isEqualTo(Instant.parse("2026-01-01T03:00:00Z"));
        assertThat(p.nominalInterval(T0)).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void cronFiresStrictlyAfterTheLastRotation() {
        RotationPolicy p = RotationPolicy.cron("0 0 3 * * ?");
        assertThat(p.nextDue("cred-1", Instant.parse("2026-01-01T03:00:00Z"), 0.0, ONE_HOUR))
                .isEqualTo(Instant.parse("2026-01-02T03:00:00Z"));
    }

    @Test
    void cronUsesQuartzSyntax() {
        // Quartz: seconds first, '?' for "no specific value", L for last, MON-FRI names.
        assertThat(RotationPolicy.cron("0 30 2 ? * MON-FRI").nextDue("c", Instant.parse("2026-01-02T03:00:00Z"), 0.0, ONE_HOUR))
                .as("Friday 2 January 2026, after 02:30: next is Monday")
                .isEqualTo(Instant.parse("2026-01-05T02:30:00Z"));
        assertThat(RotationPolicy.cron("0 0 0 L * ?").nextDue("c", Instant.parse("2026-02-01T00:00:00Z"), 0.0, ONE_HOUR))
                .isEqualTo(Instant.parse("2026-02-28T00:00:00Z"));
        assertThat(RotationPolicy.cron("0 0 */6 * * ?").nominalInterval(T0)).isEqualTo(Duration.ofHours(6));
    }

    @Test
    void cronIsUtcWhateverTheJvmTimeZone() {
        TimeZone saved = TimeZone.getDefault();
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Auckland"));
            assertThat(RotationPolicy.cron("0 0 3 * * ?").nextDue("cred-1", Instant.parse("2026-01-01T05:00:00Z"), 0.0, ONE_HOUR))
                    .isEqualTo(Instant.parse("2026-01-02T03:00:00Z"));
            TimeZone.setDefault(TimeZone.getTimeZone("America/Los_Angeles"));
            assertThat(RotationPolicy.cron("0 0 3 * * ?").nextDue("cred-1", Instant.parse("2026-01-01T05:00:00Z"), 0.0, ONE_HOUR))
                    .isEqualTo(Instant.parse("2026-01-02T03:00:00Z"));
        } finally {
            TimeZone.setDefault(saved);
        }
    }

    @Test
    void aCronThatNeverFiresAgainHasNoDueTime() {
        RotationPolicy p = RotationPolicy.cron("0 0 0 1 1 ? 2020");
        assertThat(p.nextDue("cred-1", T0, 0.05, ONE_HOUR)).isNull();
        assertThat(p.nominalInterval(T0)).isEqualTo(Duration.ZERO);
    }

    @Test
    void cronJitterUsesTheGapBetweenFireTimes() {
        // Every 10 minutes, jitter 0.5: spread over 5 minutes (below maxJitter).
        RotationPolicy p = RotationPolicy.cron("0 0/10 * * * ?");
        Instant base = Instant.parse("2026-01-01T00:10:00Z");
        for (int i = 0; i < 200; i++) {
            Instant due = p.nextDue("cred-" + i, T0, 0.5, ONE_HOUR);
            assertThat(Duration.between(base, due)).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(Duration.ofMinutes(5));
        }
    }

    @Test
    void jitterIsDeterministicPerCredential() {
        RotationPolicy p = RotationPolicy.every(Duration.ofDays(1));

        Instant a = p.nextDue("billing-agent-api", T0, 0.05, ONE_HOUR);
        Instant b = p.nextDue("billing-agent-api", T0, 0.05, ONE_HOUR);
        assertThat(a).isEqualTo(b);
        // The offset depends on the id only, not on when the last rotation was.
        Instant later = p.nextDue("billing-agent-api", T0.plus(Duration.ofDays(7)), 0.05, ONE_HOUR);
        assertThat(Duration.between(T0.plus(Duration.ofDays(8)), later)).isEqualTo(Duration.between(T0.plus(Duration.ofDays(1)), a));
        assertThat(RotationPolicy.jitterFraction("billing-agent-api")).isEqualTo(RotationPolicy.jitterFraction("billing-agent-api"));
    }

    @Test
    void differentCredentialsGetDifferentOffsets() {
        RotationPolicy p = RotationPolicy.every(Duration.ofDays(1));
        Set<Instant> dues = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            dues.add(p.nextDue("agent-" + i + "-api", T0, 0.05, ONE_HOUR));
        }
        assertThat(dues).hasSizeGreaterThan(95);
        assertThat(p.nextDue("a", T0, 0.05, ONE_HOUR)).isNotEqualTo(p.nextDue("b", T0, 0.05, ONE_HOUR));
    }

    @Test
    void jitterFractionIsInTheUnitInterval() {
        for (int i = 0; i < 10_000; i++) {
            assertThat(RotationPolicy.jitterFraction("id-" + i)).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
        }
        assertThat(RotationPolicy.jitterFraction("")).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
    }

    @Test
    void theOffsetStaysBelowIntervalTimesJitterAndBelowMaxJitter() {
        // P1D × 0.05 = 72 min, capped by maxJitter 1 h.
        RotationPolicy daily = RotationPolicy.every(Duration.ofDays(1));
        // PT10H × 0.05 = 30 min, below maxJitter 1 h.
        RotationPolicy tenHours = RotationPolicy.every(Duration.ofHours(10));
        for (int i = 0; i < 2_000; i++) {
            String id = "cred-" + i;
            Duration d = Duration.between(T0.plus(Duration.ofDays(1)), daily.nextDue(id, T0, 0.05, ONE_HOUR));
            assertThat(d).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(ONE_HOUR);
            Duration t = Duration.between(T0.plus(Duration.ofHours(10)), tenHours.nextDue(id, T0, 0.05, ONE_HOUR));
            assertThat(t).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(Duration.ofMinutes(30));
        }
    }

    @Test
    void zeroJitterOrZeroMaxJitterIsExact() {
        RotationPolicy p = RotationPolicy.every(Duration.ofDays(7));
        for (int i = 0; i < 100; i++) {
            assertThat(p.nextDue("cred-" + i, T0, 0.0, ONE_HOUR)).isEqualTo(T0.plus(Duration.ofDays(7)));
            assertThat(p.nextDue("cred-" + i, T0, 0.05, Duration.ZERO)).isEqualTo(T0.plus(Duration.ofDays(7)));
        }
        assertThat(RotationPolicy.cron("0 0 3 * * ?").nextDue("cred-1", T0, 0.0, ONE_HOUR))
                .isEqualTo(Instant.parse("2026-01-01T03:00:00Z"));
    }

    @Test
    void aFleetCreatedTogetherSpreadsOverTheHour() {
        RotationPolicy p = RotationPolicy.every(Duration.ofDays(1));
        Instant base = T0.plus(Duration.ofDays(1));
        int n = 10_000;
        int[] perMinute = new int[60];
        for (int i = 0; i < n; i++) {
            Instant due = p.nextDue("agent-" + i + "-api-key", T0, 0.05, ONE_HOUR);
            Duration offset = Duration.between(base, due);
            assertThat(offset).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(ONE_HOUR);
            perMinute[(int) offset.toMinutes()]++;
        }
        for (int minute = 0; minute < 60; minute++) {
            assertThat(perMinute[minute]).as("minute %d", minute).isPositive().isLessThanOrEqualTo(n * 3 / 100);
        }
    }

    @Test
    void exactlyOneOfEveryAndCron() {
        assertThatThrownBy(() -> new RotationPolicy(null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one");
        assertThatThrownBy(() -> new RotationPolicy(Duration.ofDays(1), "0 0 3 * * ?"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one");
        assertThat(new RotationPolicy(Duration.ofDays(1), null).cron()).isNull();
        assertThat(new RotationPolicy(null, "0 0 3 * * ?").every()).isNull();
    }

    @Test
    void everyMustBePositive() {
        assertThatThrownBy(() -> RotationPolicy.every(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("every");
        assertThatThrownBy(() -> RotationPolicy.every(Duration.ofDays(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("every");
        assertThat(RotationPolicy.every(Duration.ofMillis(1)).every()).isEqualTo(Duration.ofMillis(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not a cron", "0 0 3 * *", "* * * * * *", "0 0 25 * * ?", "0 61 * * * ?", "@daily"})
    void invalidCronIsRejected(String cron) {
        assertThatThrownBy(() -> RotationPolicy.cron(cron))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cron");
    }

    @Test
    void aManualPolicyIsNeverDueAndHasNoInterval() {
        assertThat(RotationPolicy.MANUAL.manual()).isTrue();
        assertThat(RotationPolicy.MANUAL.nextDue("c", java.time.Instant.EPOCH, 0.1, Duration.ofMinutes(5))).isNull();
        assertThat(RotationPolicy.MANUAL.nominalInterval(java.time.Instant.EPOCH)).isEqualTo(Duration.ZERO);
        assertThat(RotationPolicy.every(Duration.ofDays(1)).manual()).isFalse();
        assertThatThrownBy(() -> new RotationPolicy(Duration.ofDays(1), null, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("manual");
    }
}
