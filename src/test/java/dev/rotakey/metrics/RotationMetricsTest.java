package dev.rotakey.metrics;

import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The rotation metrics as the executor's steps drive them: counters, histograms and the in-progress gauge. */
class RotationMetricsTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final List<String> lookedUp = new ArrayList<>();
    private final RotationMetrics metrics = new RotationMetrics(registry, id -> {
        lookedUp.add(id);
        return id.startsWith("cert-") ? "certificate" : "api-key";
    });

    private static Rotation rotation(String id, String credential, RotationTrigger trigger, RotationState state,
                                     RotationStep step, int attempts, Instant updated) {
        return new Rotation(id, credential, 2, trigger, "operator", state, step, attempts, null, null, false, "corr",
                T0, updated, state.terminal() ? updated : null);
    }

    /** Runs a rotation through {@code steps} (each a state, step and attempts after it), 2 s per step. */
    private void drive(String id, String credential, RotationTrigger trigger, Object[][] steps) {
        Rotation before = rotation(id, credential, trigger, RotationState.RUNNING, RotationStep.CREATE, 0, T0);
        Instant at = T0;
        for (Object[] s : steps) {
            at = at.plusSeconds(2);
            Rotation after = rotation(id, credential, trigger, (RotationState) s[0], (RotationStep) s[1], (Integer) s[2], at);
            metrics.afterStep(before, after, Duration.ofSeconds(2));
            before = after;
        }
    }

    @Test
    void aSuccessfulRotationIsCountedByTypeTriggerAndOutcomeWithItsDurationAndSteps() {
        drive("r1", "api-1", RotationTrigger.SCHEDULE, new Object[][]{
                {RotationState.RUNNING, RotationStep.DELIVER, 0},
                {RotationState.RUNNING, RotationStep.VERIFY, 0},
                {RotationState.RUNNING, RotationStep.VERIFY, 1},   // verify failed once, retried
                {RotationState.RUNNING, RotationStep.PROMOTE, 0},
                {RotationState.SUCCEEDED, RotationStep.DONE, 0}});

        Samples s = Samples.of(registry);
        assertThat(s.value("rotakey_rotations_total", "type", "api-key", "trigger", "schedule", "outcome", "succeeded"))
                .isEqualTo(1);
        assertThat(s.value("rotakey_rotations_total", "type", "api-key", "trigger", "schedule", "outcome", "failed"))
                .isZero();
        assertThat(s.value("rotakey_rotation_duration_seconds_count", "type", "api-key", "trigger", "schedule",
                "outcome", "succeeded")).isEqualTo(1);
        assertThat(s.value("rotakey_rotation_duration_seconds_sum", "type", "api-key", "trigger", "schedule",
                "outcome", "succeeded")).isEqualTo(10.0);
        assertThat(s.value("rotakey_rotation_step_duration_seconds_count", "step", "create", "outcome", "ok")).isEqualTo(1);
        assertThat(s.value("rotakey_rotation_step_duration_seconds_count", "step", "verify", "outcome", "retry")).isEqualTo(1);
        assertThat(s.value("rotakey_rotation_step_duration_seconds_count", "step", "verify", "outcome", "ok")).isEqualTo(1);
        assertThat(s.value("rotakey_rotation_step_duration_seconds_count", "step", "promote", "outcome", "ok")).isEqualTo(1);
        assertThat(s.value("rotakey_rotation_step_duration_seconds_bucket", "step", "promote", "outcome", "ok", "le", "2.5"))
                .isEqualTo(1);
        assertThat(s.value("rotakey_rotation_step_duration_seconds_bucket", "step", "promote", "outcome", "ok", "le", "1.0"))
                .isZero();
        assertThat(s.value("rotakey_rotations_in_progress")).isZero();
    }

    @Test
    void aRotationThatRunsOutOfRetriesFailsItsStepThenCleansUpAndIsCountedFailed() {
        drive("r2", "cert-1", RotationTrigger.OPERATOR, new Object[][]{
                {RotationState.RUNNING, RotationStep.DELIVER, 0},
                {RotationState.RUNNING, RotationStep.DELIVER, 1},
                {RotationState.RUNNING, RotationStep.CLEANUP, 0},   // delivery gave up
                {RotationState.FAILED, RotationStep.DONE, 0}});     // clean-up itself worked

        Samples s = Samples.of(registry);
        assertThat(s.value("rotakey_rotations_total", "type", "certificate", "trigger", "operator", "outcome", "failed"))
                .isEqualTo(1);
        assertThat(s.value("rotakey_rotation_step_duration_seconds_count", "step", "deliver", "outcome", "retry")).isEqualTo(1);
        assertThat(s.value("rotakey_rotation_step_duration_seconds_count", "step", "deliver", "outcome", "failed")).isEqualTo(1);
        assertThat(s.value("rotakey_rotation_step_duration_seconds_count", "step", "cleanup", "outcome", "ok")).isEqualTo(1);
    }

    @Test
    void stepOutcomesCoverRestartedDeliveryAndACleanUpThatRanOutOfAttempts() {
        Rotation verify = rotation("r", "c", RotationTrigger.SCHEDULE, RotationState.RUNNING, RotationStep.VERIFY, 0, T0);
        Rotation redeliver = rotation("r", "c", RotationTrigger.SCHEDULE, RotationState.RUNNING, RotationStep.DELIVER, 0, T0);
        assertThat(RotationMetrics.stepOutcome(verify, redeliver)).isEqualTo("retry");

        Rotation cleanup = rotation("r", "c", RotationTrigger.SCHEDULE, RotationState.RUNNING, RotationStep.CLEANUP, 3, T0);
        Rotation gaveUp = rotation("r", "c", RotationTrigger.SCHEDULE, RotationState.FAILED, RotationStep.DONE, 4, T0);
        assertThat(RotationMetrics.stepOutcome(cleanup, gaveUp)).isEqualTo("failed");
    }

    @Test
    void rotationsUnderWayAreInProgressUntilTheyEnd() {
        Rotation created = rotation("r3", "api-3", RotationTrigger.EMERGENCY, RotationState.RUNNING, RotationStep.CREATE, 0, T0);
        Rotation delivering = rotation("r3", "api-3", RotationTrigger.EMERGENCY, RotationState.RUNNING, RotationStep.DELIVER, 0, T0);
        Rotation other = rotation("r4", "api-4", RotationTrigger.EMERGENCY, RotationState.RUNNING, RotationStep.DELIVER, 0, T0);
        metrics.afterStep(created, delivering, Duration.ofMillis(5));
        metrics.afterStep(created, other, Duration.ofMillis(5));
        assertThat(Samples.of(registry).value("rotakey_rotations_in_progress")).isEqualTo(2);

        Rotation done = rotation("r3", "api-3", RotationTrigger.EMERGENCY, RotationState.SUCCEEDED, RotationStep.DONE, 0,
                T0.plusSeconds(1));
        metrics.afterStep(delivering, done, Duration.ofMillis(5));
        assertThat(Samples.of(registry).value("rotakey_rotations_in_progress")).isEqualTo(1);
    }

    @Test
    void aCredentialsTypeIsLookedUpOnceAndEveryCombinationStartsAtZero() {
        for (int i = 0; i < 3; i++) {
            drive("r" + i, "api-9", RotationTrigger.SCHEDULE, new Object[][]{
                    {RotationState.RUNNING, RotationStep.DELIVER, 0},
                    {RotationState.RUNNING, RotationStep.VERIFY, 0},
                    {RotationState.RUNNING, RotationStep.PROMOTE, 0},
                    {RotationState.SUCCEEDED, RotationStep.DONE, 0}});
        }
        assertThat(lookedUp).containsExactly("api-9");
        Samples s = Samples.of(registry);
        assertThat(s.value("rotakey_rotations_total", "type", "api-key", "trigger", "schedule", "outcome", "succeeded"))
                .isEqualTo(3);
        // 3 types x 6 triggers x 2 outcomes, present before any rotation of that kind, so increase() sees the first.
        assertThat(s.matching("rotakey_rotations_total")).hasSize(36);
        assertThat(s.value("rotakey_rotations_total", "type", "password", "trigger", "decommission", "outcome", "failed"))
                .isZero();
    }

    @Test
    void aFailedTypeLookUpNeverBreaksTheRotationAndIsTriedAgainNextTime() {
        List<Integer> calls = new ArrayList<>();
        PrometheusRegistry r = new PrometheusRegistry();
        RotationMetrics flaky = new RotationMetrics(r, id -> {
            calls.add(1);
            if (calls.size() == 1) {
                throw new IllegalStateException("database unavailable");
            }
            return "password";
        });
        Rotation promote = rotation("r", "pw-1", RotationTrigger.SCHEDULE, RotationState.RUNNING, RotationStep.PROMOTE, 0, T0);
        Rotation done = rotation("r", "pw-1", RotationTrigger.SCHEDULE, RotationState.SUCCEEDED, RotationStep.DONE, 0, T0);
        flaky.afterStep(promote, done, Duration.ofMillis(1));
        flaky.afterStep(promote, done, Duration.ofMillis(1));

        Samples s = Samples.of(r);
        assertThat(s.value("rotakey_rotations_total", "type", "unknown", "trigger", "schedule", "outcome", "succeeded"))
                .isEqualTo(1);
        assertThat(s.value("rotakey_rotations_total", "type", "password", "trigger", "schedule", "outcome", "succeeded"))
                .isEqualTo(1);
        assertThat(calls).hasSize(2);
    }
}
