package dev.rotakey.auth;

import dev.rotakey.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-address, per-minute budget of audited authentication failures. */
class FailureBudgetTest {
    @Test
    void allowsTheBudgetPerAddressAndMinuteThenRefusesUntilTheNextMinute() {
        Instant start = Instant.parse("2026-11-28T10:00:00Z");
        TestClock clock = new TestClock(start);
        FailureBudget budget = new FailureBudget(3, clock);
        assertThat(budget.allow("10.0.0.1")).isTrue();
        assertThat(budget.allow("10.0.0.1")).isTrue();
        assertThat(budget.allow("10.0.0.1")).isTrue();
        assertThat(budget.allow("10.0.0.1")).isFalse();
        assertThat(budget.allow("10.0.0.2")).isTrue();

        clock.set(start.plusSeconds(59));
        assertThat(budget.allow("10.0.0.1")).isFalse();
        clock.set(start.plusSeconds(61));
        assertThat(budget.allow("10.0.0.1")).isTrue();
    }
}
