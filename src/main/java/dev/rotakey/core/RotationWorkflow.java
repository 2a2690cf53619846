package dev.rotakey.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The rotation workflow's state transitions, free of I/O: which step follows which, how a failure
 * becomes a retry or a clean-up, and how versions change at promotion and revocation. Every
 * method returns new values and checks the invariants of docs/design.md.
 */
public final class RotationWorkflow {
    private final RetryPolicy retry;

    public RotationWorkflow(RetryPolicy retry) {
        this.retry = retry;
    }

    public RetryPolicy retryPolicy() {
        return retry;
    }

    /** A new rotation for the next version of a credential, ready to run its CREATE step. */
    public Rotation start(String credentialId, int nextVersion, RotationTrigger trigger, String actor,
                          boolean emergency, String correlationId, Instant now) {
        return new Rotation(UUID.randomUUID().toString(), credentialId, nextVersion, trigger, actor,
                RotationState.RUNNING, RotationStep.CREATE, 0, null, null, emergency, correlationId, now, now, null);
    }

    /** The rotation after its current step succeeded. */
    public Rotation stepSucceeded(Rotation r, Instant now) {
        requireRunning(r);
        return switch (r.step()) {
            case CREATE -> r.advance(RotationStep.DELIVER, RotationState.RUNNING, 0, null, null, now);
            case DELIVER -> r.advance(RotationStep.VERIFY, RotationState.RUNNING, 0, null, null, now);
            case VERIFY -> r.advance(RotationStep.PROMOTE, RotationState.RUNNING, 0, null, null, now);
            case PROMOTE -> r.advance(RotationStep.DONE, RotationState.SUCCEEDED, 0, null, null, now);
            // The error that sent the rotation to clean-up stays visible on the FAILED rotation.
            case CLEANUP -> r.advance(RotationStep.DONE, RotationState.FAILED, 0, null, r.lastError(), now);
            case DONE -> throw new IllegalStateException("rotation " + r.id() + " has no step left to run");
        };
    }

    /**
     * The rotation after its current step failed: the same step again after a backoff while
     * attempts remain and the failure is retryable; otherwise the pending version is cleaned up
     * (or, when clean-up itself has run out of attempts, the rotation ends FAILED).
     *
     * @param random uniform in [0, 1) for the backoff's jitter
     */
    public Rotation stepFailed(Rotation r, String error, boolean retryable, Instant now, double random) {
        requireRunning(r);
        if (r.step() == RotationStep.DONE) {
            throw new IllegalStateException("rotation " + r.id() + " has no step left to run");
        }
        int attempts = r.attempts() + 1;
        String message = r.step().name().toLowerCase(java.util.Locale.ROOT) + ": " + error;
        if (retryable && retry.allowsAnotherAttempt(attempts)) {
            Instant at = now.plus(retry.backoff(attempts, random));
            // While cleaning up, lastError keeps the failure that sent the rotation there; each
            // clean-up attempt's own error is recorded with the step.
            String kept = r.step() == RotationStep.CLEANUP && r.lastError() != null ? r.lastError() : message;
            return r.advance(r.step(), RotationState.RUNNING, attempts, at, kept, now);
        }
        if (r.step() == RotationStep.CLEANUP) {
            String both = (r.lastError() == null ? "" : r.lastError() + "; ") + "clean-up incomplete: " + message;
            return r.advance(RotationStep.DONE, RotationState.FAILED, attempts, null, both, now);
        }
        return r.advance(RotationStep.CLEANUP, RotationState.RUNNING, 0, null, message, now);
    }

    /**
     * The rotation sent back to DELIVER: the pending material was lost (the process restarted
     * after creating or delivering it, and plaintext is never persisted), so fresh material for
     * the same version must be delivered again before it can be verified.
     */
    public Rotation restartDelivery(Rotation r, Instant now) {
        requireRunning(r);
        if (r.step() != RotationStep.DELIVER && r.step() != RotationStep.VERIFY) {
            throw new IllegalStateException("rotation " + r.id() + " is not delivering");
        }
        return r.advance(RotationStep.DELIVER, RotationState.RUNNING, r.attempts(), null, r.lastError(), now);
    }

    /** An operator's abort: the rotation goes straight to clean-up. */
    public Rotation abort(Rotation r, String reason, Instant now) {
        requireRunning(r);
        if (r.step() == RotationStep.CLEANUP) {
            return r;
        }
        return r.advance(RotationStep.CLEANUP, RotationState.RUNNING, 0, null, "aborted: " + reason, now);
    }

    /**
     * The versions that change when {@code pendingVersion} is promoted: it becomes CURRENT, and the
     * old CURRENT becomes PREVIOUS, to be revoked after {@code grace} (or at once in an emergency). An
     * older PREVIOUS version still in its grace period is due at once: only the CURRENT version and one
     * PREVIOUS are ever live, since a two-slot target (alternating roles, a file and its backup) has
     * already given the older one's slot to the new version.
     *
     * @throws IllegalStateException when the versions do not allow the promotion
     */
    public List<CredentialVersion> promote(List<CredentialVersion> versions, int pendingVersion, Instant now,
                                           Duration grace, boolean emergency) {
        CredentialVersion pending = null;
        CredentialVersion current = null;
        List<CredentialVersion> older = new ArrayList<>();
        for (CredentialVersion v : versions) {
            if (v.state() == VersionState.PENDING) {
                if (pending != null || v.version() != pendingVersion) {
                    throw new IllegalStateException("unexpected PENDING version " + v.version());
                }
                pending = v;
            } else if (v.state() == VersionState.CURRENT) {
                if (current != null) {
                    throw new IllegalStateException("two CURRENT versions of " + v.credentialId());
                }
                current = v;
            } else if (v.state() == VersionState.PREVIOUS && (v.revokeAfter() == null || v.revokeAfter().isAfter(now))) {
                older.add(v.withPromotion(v.promotedAt(), now));
            }
        }
        if (pending == null) {
            throw new IllegalStateException("version " + pendingVersion + " is not PENDING");
        }
        List<CredentialVersion> changes = new ArrayList<>(2);
        changes.add(pending.moveTo(VersionState.CURRENT).withPromotion(now, null));
        if (current != null) {
            Instant revokeAfter = emergency ? now : now.plus(grace);
            CredentialVersion previous = current.moveTo(VersionState.PREVIOUS).withPromotion(current.promotedAt(), revokeAfter);
            // The emergency is recorded with the promotion: a crash before the revocation must not make it a plain supersession.
            changes.add(emergency ? previous.withRevocation(null, RevocationReason.EMERGENCY) : previous);
        }
        changes.addAll(older);
        return changes;
    }

    /**
     * {@code v} revoked at {@code now}. A superseded version is never revoked before its
     * {@code revokeAfter}; emergencies and decommissioning revoke at once.
     */
    public CredentialVersion revoke(CredentialVersion v, Instant now, RevocationReason reason) {
        if (reason == RevocationReason.SUPERSEDED) {
            if (v.state() != VersionState.PREVIOUS) {
                throw new IllegalStateException("only a PREVIOUS version is revoked when its grace ends");
            }
            if (v.revokeAfter() == null || now.isBefore(v.revokeAfter())) {
                throw new IllegalStateException("grace period of version " + v.version() + " runs until " + v.revokeAfter());
            }
        }
        if (reason == RevocationReason.ROTATION_FAILED) {
            throw new IllegalArgumentException("a failed pending version is failed, not revoked");
        }
        return v.moveTo(VersionState.REVOKED).withRevocation(now, reason);
    }

    /** The pending version of a rotation that failed, after its clean-up. */
    public CredentialVersion fail(CredentialVersion pending, Instant now) {
        return pending.moveTo(VersionState.FAILED).withRevocation(now, RevocationReason.ROTATION_FAILED);
    }

    private static void requireRunning(Rotation r) {
        if (r.state() != RotationState.RUNNING) {
            throw new IllegalStateException("rotation " + r.id() + " is " + r.state());
        }
    }
}
