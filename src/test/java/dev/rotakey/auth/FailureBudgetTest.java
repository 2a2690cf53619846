package dev.rotakey.auth;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-address, per-minute budget of audited authentication failures. */
class FailureBudgetTest {
    @Test
    void allowsTheBudgetPerAddressAndMinuteThenRefusesUntilTheNextMinute() {
        Instant start = Instant.parse("2026-11-28T10:00:00Z");
        Instant[] now = {start};
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        FailureBudget budget = new FailureBudget(3, clock);
        assertThat(budget.allow("10.0.0.1")).isTrue();
        assertThat(budget.allow("10.0.0.1")).isTrue();
        assertThat(budget.allow("10.0.0.1")).isTrue();
        assertThat(budget.allow("10.0.0.1")).isFalse();
        assertThat(budget.allow("10.0.0.2")).isTrue();

        now[0] = start.plusSeconds(59);
        assertThat(budget.allow("10.0.0.1")).isFalse();
        now[0] = start.plusSeconds(61);
        assertThat(budget.allow("10.0.0.1")).isTrue();
    }
}
