package dev.rotakey.core;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RotationWorkflow}: step order, retries with backoff, clean-up, abort, and the version changes of promote, revoke and fail. */
class RotationWorkflowTest {
    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    private static final Duration GRACE = Duration.ofHours(1);
    /** 3 attempts per step; with random 0 the delays are 2 s, 4 s, 8 s, … up to 5 min. */
    private static final RetryPolicy RETRY = new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.5);

    private final RotationWorkflow workflow = new RotationWorkflow(RETRY);

    private Rotation start() {
        return workflow.start("cred-1", 2, RotationTrigger.SCHEDULE, "scheduler", false, "corr-1", T0);
    }

    /** A fresh rotation moved by successes (or, for CLEANUP, a fatal CREATE failure) to {@code step}. */
    private Rotation at(RotationStep step) {
        Rotation r = start();
        if (step == RotationStep.CLEANUP) {
            return workflow.stepFailed(r, "backend refused", false, T0.plusSeconds(1), 0.0);
        }
        int s = 1;
        while (r.step() != step) {
            r = workflow.stepSucceeded(r, T0.plusSeconds(s++));
        }
        return r;
    }

    private static Rotation succeeded(RotationWorkflow wf, Rotation r) {
        Rotation x = r;
        while (x.state() == RotationState.RUNNING) {
            x = wf.stepSucceeded(x, T0.plusSeconds(100));
        }
        return x;
    }

    @Nested
    class Start {
        @Test
        void aNewRotationIsReadyToRunItsCreateStep() {
            Rotation r = workflow.start("cred-1", 7, RotationTrigger.EMERGENCY, "alice@example.org", true, "corr-9", T0);

            assertThat(r.id()).isNotBlank();
            assertThat(r.credentialId()).isEqualTo("cred-1");
            assertThat(r.version()).isEqualTo(7);
            assertThat(r.trigger()).isEqualTo(RotationTrigger.EMERGENCY);
            assertThat(r.actor()).isEqualTo("alice@example.org");
            assertThat(r.emergency()).isTrue();
            assertThat(r.correlationId()).isEqualTo("corr-9");
            assertThat(r.state()).isEqualTo(RotationState.RUNNING);
            assertThat(r.step()).isEqualTo(RotationStep.CREATE);
            assertThat(r.attempts()).isZero();
            assertThat(r.nextAttemptAt()).isNull();
            assertThat(r.lastError()).isNull();
            assertThat(r.startedAt()).isEqualTo(T0);
            assertThat(r.updatedAt()).isEqualTo(T0);
            assertThat(r.finishedAt()).isNull();
            assertThat(r.runnableAt(T0)).isTrue();
        }

        @Test
        void everyRotationGetsItsOwnId() {
            assertThat(start().id()).isNotEqualTo(start().id());
        }
    }

    @Nested
    class HappyPath {
        @Test
        void createDeliverVerifyPromoteThenDoneSucceeded() {
            Rotation r = start();
            List<RotationStep> steps = new ArrayList<>();
            steps.add(r.step());
            Instant now = T0;
            for (int i = 0; i < 4; i++) {
                now = now.plusSeconds(10);
                Rotation next = workflow.stepSucceeded(r, now);
                assertThat(next.attempts()).isZero();
                assertThat(next.nextAttemptAt()).isNull();
                assertThat(next.lastError()).isNull();
                assertThat(next.updatedAt()).isEqualTo(now);
                assertThat(next.startedAt()).isEqualTo(T0);
                assertThat(next.id()).isEqualTo(r.id());
                assertThat(next.credentialId()).isEqualTo(r.credentialId());
                assertThat(next.version()).isEqualTo(r.version());
                assertThat(next.trigger()).isEqualTo(r.trigger());
                assertThat(next.actor()).isEqualTo(r.actor());
                assertThat(next.correlationId()).isEqualTo(r.correlationId());
                steps.add(next.step());
                r = next;
                if (r.step() != RotationStep.DONE) {
                    assertThat(r.state()).isEqualTo(RotationState.RUNNING);
                    assertThat(r.finishedAt()).isNull();
                }
            }

            assertThat(steps).containsExactly(RotationStep.CREATE, RotationStep.DELIVER, RotationStep.VERIFY,
                    RotationStep.PROMOTE, RotationStep.DONE);
            assertThat(r.state()).isEqualTo(RotationState.SUCCEEDED);
            assertThat(r.finishedAt()).isEqualTo(now);
            assertThat(r.runnableAt(now)).isFalse();
        }

        @Test
        void aSuccessAfterRetriesResetsAttemptsBackoffAndError() {
            Rotation r = workflow.stepFailed(at(RotationStep.DELIVER), "timeout", true, T0.plusSeconds(30), 0.0);
            assertThat(r.attempts()).isEqualTo(1);

            Rotation next = workflow.stepSucceeded(r, T0.plusSeconds(40));

            assertThat(next.step()).isEqualTo(RotationStep.VERIFY);
            assertThat(next.attempts()).isZero();
            assertThat(next.nextAttemptAt()).isNull();
            assertThat(next.lastError()).isNull();
        }
    }

    @Nested
    class Failures {
        @ParameterizedTest
        @EnumSource(value = RotationStep.class, names = {"CREATE", "DELIVER", "VERIFY", "PROMOTE"})
        void retryableFailuresBackOffOnTheSameStepThenCleanUp(RotationStep step) {
            String name = step.name().toLowerCase();
            Rotation r = at(step);

            Instant t1 = T0.plusSeconds(60);
            Rotation first = workflow.stepFailed(r, "boom 1", true, t1, 0.0);
            assertThat(first.step()).isEqualTo(step);
            assertThat(first.state()).isEqualTo(RotationState.RUNNING);
            assertThat(first.attempts()).isEqualTo(1);
            assertThat(first.nextAttemptAt()).isEqualTo(t1.plus(RETRY.backoff(1, 0.0))).isEqualTo(t1.plusSeconds(2));
            assertThat(first.lastError()).isEqualTo(name + ": boom 1");
            assertThat(first.updatedAt()).isEqualTo(t1);
            assertThat(first.finishedAt()).isNull();
            assertThat(first.runnableAt(t1)).isFalse();
            assertThat(first.runnableAt(t1.plusSeconds(2).minusMillis(1))).isFalse();
            assertThat(first.runnableAt(t1.plusSeconds(2))).isTrue();

            Instant t2 = t1.plusSeconds(5);
            Rotation second = workflow.stepFailed(first, "boom 2", true, t2, 0.5);
            assertThat(second.step()).isEqualTo(step);
            assertThat(second.attempts()).isEqualTo(2);
            // 4 s with half of it jittered by 0.5: 3 s.
            assertThat(second.nextAttemptAt()).isEqualTo(t2.plus(RETRY.backoff(2, 0.5))).isEqualTo(t2.plusSeconds(3));
            assertThat(second.lastError()).isEqualTo(name + ": boom 2");

            Instant t3 = t2.plusSeconds(5);
            Rotation exhausted = workflow.stepFailed(second, "boom 3", true, t3, 0.0);
            assertThat(exhausted.step()).isEqualTo(RotationStep.CLEANUP);
            assertThat(exhausted.state()).isEqualTo(RotationState.RUNNING);
            assertThat(exhausted.attempts()).isZero();
            assertThat(exhausted.nextAttemptAt()).isNull();
            assertThat(exhausted.lastError()).isEqualTo(name + ": boom 3");
            assertThat(exhausted.finishedAt()).isNull();
            assertThat(exhausted.runnableAt(t3)).isTrue();

            Instant t4 = t3.plusSeconds(1);
            Rotation done = workflow.stepSucceeded(exhausted, t4);
            assertThat(done.step()).isEqualTo(RotationStep.DONE);
            assertThat(done.state()).isEqualTo(RotationState.FAILED);
            assertThat(done.lastError()).isEqualTo(name + ": boom 3");
            assertThat(done.finishedAt()).isEqualTo(t4);
            assertThat(done.attempts()).isZero();
        }

        @ParameterizedTest
        @EnumSource(value = RotationStep.class, names = {"CREATE", "DELIVER", "VERIFY", "PROMOTE"})
        void aNonRetryableFailureGoesStraightToCleanUp(RotationStep step) {
            Instant t = T0.plusSeconds(60);
            Rotation r = workflow.stepFailed(at(step), "target refused the key", false, t, 0.0);

            assertThat(r.step()).isEqualTo(RotationStep.CLEANUP);
            assertThat(r.state()).isEqualTo(RotationState.RUNNING);
            assertThat(r.attempts()).isZero();
            assertThat(r.nextAttemptAt()).isNull();
            assertThat(r.lastError()).isEqualTo(step.name().toLowerCase() + ": target refused the key");

            Rotation done = workflow.stepSucceeded(r, t.plusSeconds(1));
            assertThat(done.state()).isEqualTo(RotationState.FAILED);
            assertThat(done.lastError()).isEqualTo(step.name().toLowerCase() + ": target refused the key");
        }

        @Test
        void aNonRetryableFailureAfterRetriesStillGoesToCleanUp() {
            Rotation r = workflow.stepFailed(at(RotationStep.VERIFY), "timeout", true, T0.plusSeconds(60), 0.0);
            Rotation next = workflow.stepFailed(r, "wrong password", false, T0.plusSeconds(70), 0.0);

            assertThat(next.step()).isEqualTo(RotationStep.CLEANUP);
            assertThat(next.attempts()).isZero();
            assertThat(next.lastError()).isEqualTo("verify: wrong password");
        }

        @Test
        void withASingleAttemptARetryableFailureCleansUpAtOnce() {
            RotationWorkflow once = new RotationWorkflow(new RetryPolicy(1, Duration.ofSeconds(2), Duration.ofMinutes(5), 2.0, 0.5));
            Rotation r = once.start("cred-1", 2, RotationTrigger.OPERATOR, "bob", false, null, T0);

            Rotation next = once.stepFailed(r, "hsm offline", true, T0.plusSeconds(1), 0.0);

            assertThat(next.step()).isEqualTo(RotationStep.CLEANUP);
            assertThat(next.lastError()).isEqualTo("create: hsm offline");
        }

        @Test
        void backoffGrowsAcrossAttemptsUpToTheCap() {
            RotationWorkflow many = new RotationWorkflow(new RetryPolicy(10, Duration.ofSeconds(2), Duration.ofSeconds(20), 2.0, 0.5));
            Rotation r = many.start("cred-1", 2, RotationTrigger.SCHEDULE, "scheduler", false, null, T0);
            List<Duration> delays = new ArrayList<>();
            Instant now = T0;
            for (int i = 0; i < 6; i++) {
                now = now.plusSeconds(100);
                r = many.stepFailed(r, "x", true, now, 0.0);
                delays.add(Duration.between(now, r.nextAttemptAt()));
            }
            assertThat(delays).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8),
                    Duration.ofSeconds(16), Duration.ofSeconds(20), Duration.ofSeconds(20));
        }
    }

    @Nested
    class CleanUp {
        @Test
        void cleanUpFailuresRetryThenEndFailedWithCleanUpIncomplete() {
            Rotation r = workflow.stepFailed(at(RotationStep.DELIVER), "target refused", false, T0.plusSeconds(10), 0.0);
            assertThat(r.step()).isEqualTo(RotationStep.CLEANUP);

            Instant t1 = T0.plusSeconds(20);
            Rotation first = workflow.stepFailed(r, "disk full", true, t1, 0.0);
            assertThat(first.step()).isEqualTo(RotationStep.CLEANUP);
            assertThat(first.state()).isEqualTo(RotationState.RUNNING);
            assertThat(first.attempts()).isEqualTo(1);
            assertThat(first.nextAttemptAt()).isEqualTo(t1.plusSeconds(2));
            // The cause stays visible while clean-up is retried (each attempt's error is recorded with the step).
            assertThat(first.lastError()).isEqualTo("deliver: target refused");

            Rotation second = workflow.stepFailed(first, "disk full", true, t1.plusSeconds(5), 0.0);
            assertThat(second.step()).isEqualTo(RotationStep.CLEANUP);
            assertThat(second.attempts()).isEqualTo(2);
            assertThat(second.nextAttemptAt()).isEqualTo(t1.plusSeconds(5).plusSeconds(4));
            assertThat(second.lastError()).isEqualTo("deliver: target refused");

            Instant t3 = t1.plusSeconds(20);
            Rotation done = workflow.stepFailed(second, "disk full", true, t3, 0.0);
            assertThat(done.step()).isEqualTo(RotationStep.DONE);
            assertThat(done.state()).isEqualTo(RotationState.FAILED);
            assertThat(done.finishedAt()).isEqualTo(t3);
            assertThat(done.nextAttemptAt()).isNull();
            assertThat(done.attempts()).isLessThanOrEqualTo(RETRY.maxAttempts());
            // Both the failure that sent the rotation to clean-up and the clean-up's own failure are kept.
            assertThat(done.lastError()).isEqualTo("deliver: target refused; clean-up incomplete: cleanup: disk full");
        }

        @Test
        void aNonRetryableCleanUpFailureEndsFailedAtOnce() {
            Rotation r = at(RotationStep.CLEANUP);

            Rotation done = workflow.stepFailed(r, "permission denied", false, T0.plusSeconds(20), 0.0);

            assertThat(done.step()).isEqualTo(RotationStep.DONE);
            assertThat(done.state()).isEqualTo(RotationState.FAILED);
            assertThat(done.lastError()).isEqualTo("create: backend refused; clean-up incomplete: cleanup: permission denied");
        }

        @Test
        void aCleanUpThatSucceedsAfterRetriesKeepsTheErrorThatCausedIt() {
            Rotation r = workflow.stepFailed(at(RotationStep.VERIFY), "login rejected", false, T0.plusSeconds(10), 0.0);
            Rotation retried = workflow.stepFailed(r, "connection reset", true, T0.plusSeconds(20), 0.0);
            assertThat(retried.step()).isEqualTo(RotationStep.CLEANUP);
            assertThat(retried.attempts()).isEqualTo(1);

            Rotation done = workflow.stepSucceeded(retried, T0.plusSeconds(30));

            assertThat(done.state()).isEqualTo(RotationState.FAILED);
            // The rotation failed because verification was rejected, not because of the transient clean-up error.
            assertThat(done.lastError()).isEqualTo("verify: login rejected");
        }

        @Test
        void cleanUpRetriedToExhaustionNamesTheCauseOnce() {
            Rotation r = workflow.stepFailed(at(RotationStep.PROMOTE), "db locked", false, T0.plusSeconds(10), 0.0);
            Instant now = T0.plusSeconds(20);
            while (r.state() == RotationState.RUNNING) {
                now = now.plusSeconds(60);
                r = workflow.stepFailed(r, "target down", true, now, 0.0);
            }
            assertThat(r.state()).isEqualTo(RotationState.FAILED);
            assertThat(r.lastError()).isEqualTo("promote: db locked; clean-up incomplete: cleanup: target down");
        }
    }

    @Nested
    class TerminalRotations {
        private Rotation succeededRotation() {
            return succeeded(workflow, start());
        }

        private Rotation failedRotation() {
            return workflow.stepSucceeded(at(RotationStep.CLEANUP), T0.plusSeconds(5));
        }

        @Test
        void aSucceededRotationCannotMove() {
            Rotation r = succeededRotation();
            assertThat(r.state()).isEqualTo(RotationState.SUCCEEDED);

            assertThatThrownBy(() -> workflow.stepSucceeded(r, T0)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(r.id());
            assertThatThrownBy(() -> workflow.stepFailed(r, "x", true, T0, 0.0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.stepFailed(r, "x", false, T0, 0.0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.abort(r, "x", T0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.restartDelivery(r, T0)).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void aFailedRotationCannotMove() {
            Rotation r = failedRotation();
            assertThat(r.state()).isEqualTo(RotationState.FAILED);

            assertThatThrownBy(() -> workflow.stepSucceeded(r, T0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.stepFailed(r, "x", true, T0, 0.0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.stepFailed(r, "x", false, T0, 0.0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.abort(r, "x", T0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.restartDelivery(r, T0)).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void aRunningRotationAtDoneIsRefused() {
            // Not reachable through the workflow, but a corrupted row must not loop.
            Rotation odd = new Rotation("r", "c", 2, RotationTrigger.SCHEDULE, "s", RotationState.RUNNING,
                    RotationStep.DONE, 0, null, null, false, null, T0, T0, null);

            assertThatThrownBy(() -> workflow.stepSucceeded(odd, T0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.stepFailed(odd, "x", true, T0, 0.0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class RestartDelivery {
        @ParameterizedTest
        @EnumSource(value = RotationStep.class, names = {"DELIVER", "VERIFY"})
        void goesBackToDeliverKeepingAttemptsAndError(RotationStep step) {
            Rotation r = workflow.stepFailed(at(step), "timeout", true, T0.plusSeconds(30), 0.0);
            assertThat(r.nextAttemptAt()).isNotNull();
            Instant now = T0.plusSeconds(31);

            Rotation restarted = workflow.restartDelivery(r, now);

            assertThat(restarted.step()).isEqualTo(RotationStep.DELIVER);
            assertThat(restarted.state()).isEqualTo(RotationState.RUNNING);
            assertThat(restarted.attempts()).isEqualTo(r.attempts());
            assertThat(restarted.lastError()).isEqualTo(r.lastError());
            assertThat(restarted.nextAttemptAt()).isNull();
            assertThat(restarted.updatedAt()).isEqualTo(now);
            assertThat(restarted.runnableAt(now)).isTrue();
        }

        @ParameterizedTest
        @EnumSource(value = RotationStep.class, names = {"CREATE", "PROMOTE", "CLEANUP"})
        void isRefusedOutsideDeliverAndVerify(RotationStep step) {
            Rotation r = at(step);
            assertThatThrownBy(() -> workflow.restartDelivery(r, T0.plusSeconds(30)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not delivering");
        }
    }

    @Nested
    class Abort {
        @ParameterizedTest
        @EnumSource(value = RotationStep.class, names = {"CREATE", "DELIVER", "VERIFY", "PROMOTE"})
        void sendsARunningRotationToCleanUp(RotationStep step) {
            // Aborted while waiting for a retry: the backoff no longer applies.
            Rotation r = workflow.stepFailed(at(step), "timeout", true, T0.plusSeconds(30), 0.0);
            Instant now = T0.plusSeconds(31);

            Rotation aborted = workflow.abort(r, "operator request", now);

            assertThat(aborted.step()).isEqualTo(RotationStep.CLEANUP);
            assertThat(aborted.state()).isEqualTo(RotationState.RUNNING);
            assertThat(aborted.attempts()).isZero();
            assertThat(aborted.nextAttemptAt()).isNull();
            assertThat(aborted.lastError()).isEqualTo("aborted: operator request");
            assertThat(aborted.runnableAt(now)).isTrue();

            Rotation done = workflow.stepSucceeded(aborted, now.plusSeconds(1));
            assertThat(done.state()).isEqualTo(RotationState.FAILED);
            assertThat(done.lastError()).isEqualTo("aborted: operator request");
        }

        @Test
        void abortingDuringCleanUpChangesNothing() {
            Rotation r = at(RotationStep.CLEANUP);
            assertThat(workflow.abort(r, "again", T0.plusSeconds(99))).isSameAs(r);
        }
    }

    @Nested
    class Promote {
        @Test
        void pendingBecomesCurrentAndCurrentBecomesPreviousWithGrace() {
            CredentialVersion v1 = version(1, VersionState.CURRENT, T0.minus(Duration.ofDays(30)), null);
            CredentialVersion v2 = version(2, VersionState.PENDING, null, null);
            Instant now = T0;

            List<CredentialVersion> changes = workflow.promote(List.of(v1, v2), 2, now, GRACE, false);

            assertThat(changes).hasSize(2);
            CredentialVersion current = changes.get(0);
            assertThat(current.version()).isEqualTo(2);
            assertThat(current.state()).isEqualTo(VersionState.CURRENT);
            assertThat(current.promotedAt()).isEqualTo(now);
            assertThat(current.revokeAfter()).isNull();
            assertThat(current.revokedAt()).isNull();
            assertThat(current.digest()).isEqualTo(v2.digest());
            assertThat(current.createdAt()).isEqualTo(v2.createdAt());
            assertThat(current.rotationId()).isEqualTo(v2.rotationId());

            CredentialVersion previous = changes.get(1);
            assertThat(previous.version()).isEqualTo(1);
            assertThat(previous.state()).isEqualTo(VersionState.PREVIOUS);
            assertThat(previous.promotedAt()).isEqualTo(v1.promotedAt());
            assertThat(previous.revokeAfter()).isEqualTo(now.plus(GRACE));
            assertThat(previous.revokedAt()).isNull();
            assertThat(previous.digest()).isEqualTo(v1.digest());
        }

        @Test
        void anEmergencyPromotionMakesThePreviousVersionRevocableAtOnce() {
            CredentialVersion v1 = version(1, VersionState.CURRENT, T0.minus(Duration.ofDays(3)), null);
            CredentialVersion v2 = version(2, VersionState.PENDING, null, null);

            List<CredentialVersion> changes = workflow.promote(List.of(v1, v2), 2, T0, GRACE, true);

            assertThat(changes).extracting(CredentialVersion::version, CredentialVersion::state, CredentialVersion::revokeAfter)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(2, VersionState.CURRENT, null),
                            org.assertj.core.groups.Tuple.tuple(1, VersionState.PREVIOUS, T0));
        }

        @Test
        void theFirstVersionIsPromotedWithoutACurrentOne() {
            CredentialVersion v1 = version(1, VersionState.PENDING, null, null);

            List<CredentialVersion> changes = workflow.promote(List.of(v1), 1, T0, GRACE, false);

            assertThat(changes).singleElement().satisfies(v -> {
                assertThat(v.version()).isEqualTo(1);
                assertThat(v.state()).isEqualTo(VersionState.CURRENT);
                assertThat(v.promotedAt()).isEqualTo(T0);
                assertThat(v.revokeAfter()).isNull();
            });
        }

        /**
         * Only CURRENT and one PREVIOUS stay live (as AWS Secrets Manager's AWSCURRENT and AWSPREVIOUS): a two-slot
         * target has already given the older PREVIOUS version's slot to the new one, so its grace ends now.
         */
        @Test
        void anOlderPreviousVersionStillInItsGraceIsDueAtOnceAndFinalVersionsAreLeftAlone() {
            CredentialVersion v1 = version(1, VersionState.REVOKED, T0.minus(Duration.ofDays(90)), T0.minus(Duration.ofDays(59)));
            CredentialVersion v2 = version(2, VersionState.FAILED, null, null);
            CredentialVersion v3 = version(3, VersionState.PREVIOUS, T0.minus(Duration.ofDays(60)), T0.plusSeconds(5));
            CredentialVersion v4 = version(4, VersionState.CURRENT, T0.minus(Duration.ofDays(30)), null);
            CredentialVersion v5 = version(5, VersionState.PENDING, null, null);
            List<CredentialVersion> all = List.of(v1, v2, v3, v4, v5);

            List<CredentialVersion> changes = workflow.promote(all, 5, T0, GRACE, false);

            assertThat(changes).extracting(CredentialVersion::version).containsExactly(5, 4, 3);
            assertThat(changes.get(2).state()).isEqualTo(VersionState.PREVIOUS);
            assertThat(changes.get(2).revokeAfter()).isEqualTo(T0);
            assertThat(changes.get(2).promotedAt()).isEqualTo(v3.promotedAt());
            assertThat(all).containsExactly(v1, v2, v3, v4, v5);
            assertThat(v3.revokeAfter()).isEqualTo(T0.plusSeconds(5));
        }

        @Test
        void refusesTwoPendingVersions() {
            List<CredentialVersion> vs = List.of(version(1, VersionState.CURRENT, T0, null),
                    version(2, VersionState.PENDING, null, null), version(3, VersionState.PENDING, null, null));

            assertThatThrownBy(() -> workflow.promote(vs, 2, T0, GRACE, false))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("PENDING");
            assertThatThrownBy(() -> workflow.promote(vs, 3, T0, GRACE, false))
                    .isInstanceOf(IllegalStateException.class);
        }

        @Test
        void refusesAPendingVersionOfAnotherNumber() {
            List<CredentialVersion> vs = List.of(version(1, VersionState.CURRENT, T0, null), version(3, VersionState.PENDING, null, null));

            assertThatThrownBy(() -> workflow.promote(vs, 2, T0, GRACE, false))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("3");
        }

        @Test
        void refusesTwoCurrentVersions() {
            List<CredentialVersion> vs = List.of(version(1, VersionState.CURRENT, T0, null),
                    version(2, VersionState.CURRENT, T0, null), version(3, VersionState.PENDING, null, null));

            assertThatThrownBy(() -> workflow.promote(vs, 3, T0, GRACE, false))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("two CURRENT");
        }

        @Test
        void refusesWhenNothingIsPending() {
            assertThatThrownBy(() -> workflow.promote(List.of(version(1, VersionState.CURRENT, T0, null)), 2, T0, GRACE, false))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not PENDING");
            assertThatThrownBy(() -> workflow.promote(List.of(), 1, T0, GRACE, false))
                    .isInstanceOf(IllegalStateException.class);
            // The version was already promoted (a resumed PROMOTE step must not promote twice).
            assertThatThrownBy(() -> workflow.promote(List.of(version(2, VersionState.CURRENT, T0, null)), 2, T0, GRACE, false))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.promote(List.of(version(1, VersionState.CURRENT, T0, null),
                    version(2, VersionState.FAILED, null, null)), 2, T0, GRACE, false))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class Revoke {
        private final Instant revokeAfter = T0.plus(GRACE);
        private final CredentialVersion previous = version(1, VersionState.PREVIOUS, T0.minus(Duration.ofDays(30)), revokeAfter);

        @Test
        void aSupersededVersionIsRevokedExactlyWhenItsGraceEnds() {
            CredentialVersion failedBefore = previous.withRevokeFailure(2, "target down");

            CredentialVersion revoked = workflow.revoke(failedBefore, revokeAfter, RevocationReason.SUPERSEDED);

            assertThat(revoked.state()).isEqualTo(VersionState.REVOKED);
            assertThat(revoked.revokedAt()).isEqualTo(revokeAfter);
            assertThat(revoked.revokeReason()).isEqualTo(RevocationReason.SUPERSEDED);
            assertThat(revoked.revokeError()).isNull();
            assertThat(revoked.revokeAfter()).isEqualTo(revokeAfter);
            assertThat(revoked.promotedAt()).isEqualTo(previous.promotedAt());
            assertThat(revoked.digest()).isEqualTo(previous.digest());
        }

        @Test
        void aSupersededVersionIsRevokedAfterItsGrace() {
            assertThat(workflow.revoke(previous, revokeAfter.plus(Duration.ofDays(2)), RevocationReason.SUPERSEDED).state())
                    .isEqualTo(VersionState.REVOKED);
        }

        @Test
        void neverBeforeRevokeAfter() {
            assertThatThrownBy(() -> workflow.revoke(previous, revokeAfter.minusMillis(1), RevocationReason.SUPERSEDED))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("grace period");
            assertThatThrownBy(() -> workflow.revoke(previous, revokeAfter.minusNanos(1), RevocationReason.SUPERSEDED))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.revoke(previous, T0, RevocationReason.SUPERSEDED))
                    .isInstanceOf(IllegalStateException.class);
        }

        @Test
        void aPreviousVersionWithoutRevokeAfterIsNotSuperseded() {
            CredentialVersion noDeadline = version(1, VersionState.PREVIOUS, T0, null);
            assertThatThrownBy(() -> workflow.revoke(noDeadline, T0.plus(Duration.ofDays(365)), RevocationReason.SUPERSEDED))
                    .isInstanceOf(IllegalStateException.class);
        }

        @ParameterizedTest
        @EnumSource(value = VersionState.class, names = {"PENDING", "CURRENT", "REVOKED", "FAILED"})
        void onlyAPreviousVersionIsSuperseded(VersionState state) {
            CredentialVersion v = version(1, state, T0, revokeAfter);
            assertThatThrownBy(() -> workflow.revoke(v, revokeAfter.plusSeconds(1), RevocationReason.SUPERSEDED))
                    .isInstanceOf(IllegalStateException.class);
        }

        @ParameterizedTest
        @EnumSource(value = RevocationReason.class, names = {"EMERGENCY", "DECOMMISSIONED"})
        void emergenciesAndDecommissioningRevokeCurrentOrPreviousAtOnce(RevocationReason reason) {
            CredentialVersion current = version(2, VersionState.CURRENT, T0, null);
            Instant now = T0.plusSeconds(1);

            CredentialVersion c = workflow.revoke(current, now, reason);
            CredentialVersion p = workflow.revoke(previous, now, reason);

            assertThat(c.state()).isEqualTo(VersionState.REVOKED);
            assertThat(c.revokedAt()).isEqualTo(now);
            assertThat(c.revokeReason()).isEqualTo(reason);
            assertThat(p.state()).isEqualTo(VersionState.REVOKED);
            assertThat(p.revokedAt()).isEqualTo(now);
            assertThat(p.revokeReason()).isEqualTo(reason);
            assertThat(now).isBefore(previous.revokeAfter());
        }

        @ParameterizedTest
        @EnumSource(value = VersionState.class, names = {"REVOKED", "FAILED"})
        void finalVersionsCannotBeRevokedAgain(VersionState state) {
            CredentialVersion v = version(1, state, T0, T0);
            for (RevocationReason reason : EnumSet.of(RevocationReason.SUPERSEDED, RevocationReason.EMERGENCY,
                    RevocationReason.DECOMMISSIONED)) {
                assertThatThrownBy(() -> workflow.revoke(v, T0.plus(Duration.ofDays(1)), reason))
                        .as("%s by %s", state, reason)
                        .isInstanceOf(IllegalStateException.class);
            }
        }

        @Test
        void aPendingVersionIsFailedNotRevoked() {
            CredentialVersion pending = version(3, VersionState.PENDING, null, null);
            assertThatThrownBy(() -> workflow.revoke(pending, T0, RevocationReason.EMERGENCY))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> workflow.revoke(pending, T0, RevocationReason.ROTATION_FAILED))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> workflow.revoke(previous, revokeAfter, RevocationReason.ROTATION_FAILED))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Fail {
        @Test
        void aPendingVersionFails() {
            CredentialVersion pending = version(3, VersionState.PENDING, null, null);
            Instant now = T0.plusSeconds(9);

            CredentialVersion failed = workflow.fail(pending, now);

            assertThat(failed.state()).isEqualTo(VersionState.FAILED);
            assertThat(failed.revokedAt()).isEqualTo(now);
            assertThat(failed.revokeReason()).isEqualTo(RevocationReason.ROTATION_FAILED);
            assertThat(failed.promotedAt()).isNull();
            assertThat(failed.version()).isEqualTo(3);
        }

        @ParameterizedTest
        @EnumSource(value = VersionState.class, names = {"CURRENT", "PREVIOUS", "REVOKED", "FAILED"})
        void onlyAPendingVersionFails(VersionState state) {
            CredentialVersion v = version(1, state, T0, T0);
            assertThatThrownBy(() -> workflow.fail(v, T0)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(state.name());
        }
    }

    /**
     * Random sequences of successes, retryable and fatal failures: every rotation ends within
     * steps × maxAttempts × 2 transitions, is RUNNING exactly while its step is not DONE, and no
     * step counts more than maxAttempts attempts.
     */
    @Test
    void randomSequencesAlwaysTerminateWithinBounds() {
        Random random = new Random(20260301L);
        int workSteps = (int) EnumSet.complementOf(EnumSet.of(RotationStep.DONE)).stream().count();
        Set<String> outcomes = new java.util.HashSet<>();

        for (int run = 0; run < 5_000; run++) {
            int maxAttempts = 1 + random.nextInt(6);
            RetryPolicy policy = new RetryPolicy(maxAttempts, Duration.ofMillis(1 + random.nextInt(5_000)),
                    Duration.ofMinutes(1 + random.nextInt(10)), 1.0 + random.nextDouble() * 3, random.nextDouble());
            RotationWorkflow wf = new RotationWorkflow(policy);
            // Weighted so that both long retry chains and quick successes happen.
            int succeedWeight = 1 + random.nextInt(6);
            int retryWeight = 1 + random.nextInt(6);
            int fatalWeight = random.nextInt(2);
            int total = succeedWeight + retryWeight + fatalWeight;

            Instant now = T0;
            Rotation r = wf.start("cred-" + run, 2, RotationTrigger.SCHEDULE, "scheduler", false, null, now);
            boolean cleanedUp = false;
            int transitions = 0;
            int bound = workSteps * maxAttempts * 2;

            while (r.state() == RotationState.RUNNING) {
                assertThat(transitions).as("run %d: transitions", run).isLessThan(bound);
                now = r.nextAttemptAt() != null ? r.nextAttemptAt() : now.plusMillis(1 + random.nextInt(1_000));
                int pick = random.nextInt(total);
                RotationStep before = r.step();
                if (pick < succeedWeight) {
                    r = wf.stepSucceeded(r, now);
                } else if (pick < succeedWeight + retryWeight) {
                    r = wf.stepFailed(r, "transient " + transitions, true, now, random.nextDouble());
                } else {
                    r = wf.stepFailed(r, "fatal " + transitions, false, now, random.nextDouble());
                }
                transitions++;
                if (r.step() == RotationStep.CLEANUP && before != RotationStep.CLEANUP) {
                    cleanedUp = true;
                }

                assertThat(r.state() == RotationState.RUNNING).as("run %d: RUNNING iff step != DONE", run)
                        .isEqualTo(r.step() != RotationStep.DONE);
                assertThat(r.attempts()).as("run %d: attempts", run).isBetween(0, maxAttempts);
                assertThat(r.finishedAt() != null).as("run %d: finishedAt iff terminal", run).isEqualTo(r.state().terminal());
                assertThat(r.updatedAt()).isEqualTo(now);
                if (r.nextAttemptAt() != null) {
                    assertThat(r.nextAttemptAt()).isAfter(now).isBeforeOrEqualTo(now.plus(policy.maxBackoff()));
                    assertThat(r.step()).isEqualTo(before);
                }
            }

            assertThat(transitions).as("run %d", run).isLessThanOrEqualTo(bound);
            assertThat(r.step()).isEqualTo(RotationStep.DONE);
            if (cleanedUp) {
                assertThat(r.state()).isEqualTo(RotationState.FAILED);
                assertThat(r.lastError()).isNotBlank();
                outcomes.add(r.lastError().contains("clean-up incomplete") ? "failed, clean-up incomplete" : "failed");
            } else {
                assertThat(r.state()).isEqualTo(RotationState.SUCCEEDED);
                assertThat(r.lastError()).isNull();
                outcomes.add("succeeded");
            }
        }
        // The sequences reached every ending.
        assertThat(outcomes).containsExactlyInAnyOrder("succeeded", "failed", "failed, clean-up incomplete");
    }

    private static CredentialVersion version(int n, VersionState state, Instant promotedAt, Instant revokeAfter) {
        return new CredentialVersion("cred-1", n, state, "digest-" + n, "hmac-key-1", "rotation-" + n,
                T0.minus(Duration.ofDays(100 - n)), promotedAt, revokeAfter, null, null, 0, null);
    }
}
