package dev.rotakey.alert;

import dev.rotakey.db.AlertDao.Firing;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure open / repeat / resolve decision of one alert evaluation. */
class AlertReconciliationTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private static final Duration REPEAT = Duration.ofHours(4);

    private static Alert alert(String fp, Instant startsAt) {
        return new Alert(fp, AlertCondition.ROTATION_FAILED, AlertStatus.FIRING,
                Map.of("alertname", "RotakeyRotationFailed", "owner", "team@example.com"), "summary " + fp,
                "description", startsAt, null);
    }

    private static Firing row(String fp, Instant started, Instant notified) {
        return new Firing(fp, "ROTATION_FAILED", Map.of("alertname", "RotakeyRotationFailed", "owner", "team@example.com"),
                "old summary", "old description", started, notified, 1);
    }

    @Test
    void aConditionNotYetNotifiedIsOpened() {
        AlertReconciliation r = AlertReconciliation.of(List.of(alert("a", T0)), List.of(), T0, REPEAT);

        assertThat(r.open()).extracting(Alert::fingerprint).containsExactly("a");
        assertThat(r.repeat()).isEmpty();
        assertThat(r.resolve()).isEmpty();
    }

    @Test
    void aFiringAlertIsNotSentAgainBeforeTheRepeatIntervalAndIsSentAgainOnceItHasPassed() {
        Firing notified = row("a", T0, T0);

        AlertReconciliation soon = AlertReconciliation.of(List.of(alert("a", T0.plusSeconds(60))), List.of(notified),
                T0.plus(REPEAT).minusSeconds(1), REPEAT);
        assertThat(soon.open()).isEmpty();
        assertThat(soon.repeat()).isEmpty();
        assertThat(soon.resolve()).isEmpty();

        AlertReconciliation later = AlertReconciliation.of(List.of(alert("a", T0.plus(REPEAT))), List.of(notified),
                T0.plus(REPEAT), REPEAT);
        assertThat(later.repeat()).hasSize(1);
        Alert repeated = later.repeat().get(0).alert();
        // The same alert, still dated from when it first fired, with the current summary.
        assertThat(repeated.startsAt()).isEqualTo(T0);
        assertThat(repeated.summary()).isEqualTo("summary a");
        assertThat(repeated.status()).isEqualTo(AlertStatus.FIRING);
        assertThat(later.repeat().get(0).previous()).isEqualTo(notified);
    }

    @Test
    void anAlertWhoseConditionClearedIsResolvedWithTheLabelsItFiredWith() {
        Firing notified = row("a", T0, T0);

        AlertReconciliation r = AlertReconciliation.of(List.of(), List.of(notified), T0.plusSeconds(90), REPEAT);

        assertThat(r.resolve()).containsExactly(notified);
        Alert resolved = AlertReconciliation.resolved(notified, T0.plusSeconds(90));
        assertThat(resolved.status()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(resolved.startsAt()).isEqualTo(T0);
        assertThat(resolved.endsAt()).isEqualTo(T0.plusSeconds(90));
        assertThat(resolved.labels()).isEqualTo(notified.labels());
        assertThat(resolved.condition()).isEqualTo(AlertCondition.ROTATION_FAILED);
    }

    @Test
    void theSameSubjectReportedTwiceOpensOneAlert() {
        AlertReconciliation r = AlertReconciliation.of(List.of(alert("a", T0), alert("a", T0)), List.of(), T0, REPEAT);

        assertThat(r.open()).hasSize(1);
    }

    @Test
    void mixedChangesAreSortedIntoTheirThreeLists() {
        AlertReconciliation r = AlertReconciliation.of(List.of(alert("new", T0), alert("old", T0)),
                List.of(row("old", T0.minus(REPEAT), T0.minus(REPEAT)), row("gone", T0.minusSeconds(5), T0.minusSeconds(5))),
                T0, REPEAT);

        assertThat(r.open()).extracting(Alert::fingerprint).containsExactly("new");
        assertThat(r.repeat()).extracting(rep -> rep.alert().fingerprint()).containsExactly("old");
        assertThat(r.resolve()).extracting(Firing::fingerprint).containsExactly("gone");
    }

    @Test
    void aResolvedAlertMustSayWhenItEnded() {
        assertThatThrownBy(() -> new Alert("a", AlertCondition.ROTATION_FAILED, AlertStatus.RESOLVED, Map.of(), "s", "d",
                T0, null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endsAt");
    }
}
