package dev.rotakey.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What Dropwizard's log-level task would take silently as DEBUG, or answer with a 500, is refused by name. */
class LogLevelTaskGuardTest {
    @Test
    void acceptsLevelsAndSchedulableDurations() {
        assertThat(LogLevelTaskGuard.problem(null, null)).isNull();
        assertThat(LogLevelTaskGuard.problem(new String[]{"trace"}, new String[]{"PT10M"})).isNull();
        assertThat(LogLevelTaskGuard.problem(new String[]{"OFF", "INFO"}, null)).isNull();
    }

    @Test
    void refusesUnknownLevelsAndImpossibleDurations() {
        assertThat(LogLevelTaskGuard.problem(new String[]{"bogus"}, null)).contains("'level'");
        assertThat(LogLevelTaskGuard.problem(new String[]{""}, null)).contains("'level'");
        for (String d : new String[]{"PT", "-PT1H", "PT0S", "P999999999999D", "10m", ""}) {
            assertThat(LogLevelTaskGuard.problem(null, new String[]{d})).as(d).contains("'duration'");
        }
    }
}
