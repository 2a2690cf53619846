package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.FailPoints;
import dev.rotakey.core.RetryPolicy;
import dev.rotakey.core.RevocationDecision;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.VersionState;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Targets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;


/**
 * Revokes versions: removes them from every target, then marks them REVOKED. A superseded
 * version is never revoked before its {@code revokeAfter}; a failing target is retried with the
 * workflow's backoff, and the version stays PREVIOUS (and flagged) until revocation succeeds. A
 * credential with {@code revokeWhen: acknowledged} also waits, up to its maximum grace period, for
 * its consumers ({@link RevocationDecision}).
 */
public final class RevocationService {
    private static final Logger LOG = LoggerFactory.getLogger(RevocationService.class);

    private final Store store;
    private final RotationWorkflow workflow;
    private final AuditLog audit;
    private final WorkScheduler scheduler;
    private final CredentialLocks locks;
    private final Clock clock;
    private final MaterialRemoval removal;

    public RevocationService(Store store, KeyBackends backends, Targets targets, RotationWorkflow workflow,
                             AuditLog audit, WorkScheduler scheduler, CredentialLocks locks, Clock clock,
                             CertificateAuthorities authorities) {
        this.removal = new MaterialRemoval(backends, new BindingFanOut(store, targets),
                new CertificateRetirement(store, authorities), clock);
        this.store = store;
        this.workflow = workflow;
        this.audit = audit;
        this.scheduler = scheduler;
        this.locks = locks;
        this.clock = clock;
    }

    /** How a version's material is removed from its targets and backend; the executor's clean-ups use the same. */
    MaterialRemoval removal() {
        return removal;
    }

    /** The scheduled revocation at the end of a grace period. */
    public boolean revokeDue(String credentialId, int version) {
        return revoke(credentialId, version, RevocationReason.SUPERSEDED, "scheduler");
    }

    /** Revokes at once, without grace (emergency, decommissioning). */
    public boolean revokeNow(String credentialId, int version, RevocationReason reason, String actor) {
        return revoke(credentialId, version, reason, actor);
    }

    /**
     * An emergency's first half: every PREVIOUS version of the credential is marked REVOKED at once, in one
     * transaction, with its removal from the targets recorded as pending (I4), so that Rotakey refuses it from the
     * commit on. {@link #finishRemovals} (or a retry at start-up) removes it from the targets.
     *
     * @return the versions marked
     */
    public List<Integer> markPreviousRevoked(String credentialId, RevocationReason reason, String actor) {
        if (store.read(d -> d.versions().ofCredential(credentialId)).stream()
                .noneMatch(v -> v.state() == VersionState.PREVIOUS)) {
            return List.of();
        }
        FailPoints.reach("revoke.before-mark", credentialId);
        Instant at = clock.instant();
        return store.tx(tx -> {
            tx.credentials().findForUpdate(credentialId);
            List<Integer> marked = new ArrayList<>();
            for (CredentialVersion v : tx.versions().ofCredential(credentialId)) {
                if (v.state() == VersionState.PREVIOUS) {
                    // An emergency promotion records its reason: the mark keeps it.
                    markPending(tx, v, v.revokeReason() != null ? v.revokeReason() : reason, actor, at);
                    marked.add(v.version());
                }
            }
            return marked;
        });
    }

    /**
     * Tries once more every removal of the credential still outstanding (a REVOKED or FAILED version whose
     * material may still be at a target), each at every target.
     *
     * @return whether none is left; a removal that failed again stays recorded and retried (I4)
     */
    public boolean finishRemovals(String credentialId, String actor) {
        boolean removed = true;
        for (CredentialVersion v : store.read(d -> d.versions().ofCredential(credentialId))) {
            if ((v.state() == VersionState.REVOKED || v.state() == VersionState.FAILED) && v.revokeError() != null) {
                removed &= revoke(credentialId, v.version(), v.revokeReason(), actor);
            }
        }
        return removed;
    }

    /**
     * A superseded version is removed from the targets first and marked REVOKED after, so REVOKED
     * means gone everywhere. An emergency or a decommission marks it REVOKED first, so that Rotakey
     * refuses the key at once, and then removes it from the targets, retrying any that fail.
     *
     * @return whether the version is revoked and gone from every target (or nothing was left to do)
     */
    private boolean revoke(String credentialId, int version, RevocationReason reason, String actor) {
        try (CredentialLocks.Held held = locks.lock(credentialId)) {
            Optional<CredentialVersion> found = store.read(d -> d.versions().find(credentialId, version));
            if (found.isEmpty()) {
                return true;
            }
            CredentialVersion v = found.get();
            if (v.state() == VersionState.FAILED || v.state() == VersionState.REVOKED) {
                // Revoked at once in an emergency, or failed with its clean-up unfinished: this is the retry.
                return v.revokeError() == null || removeOrRecord(v, v.revokeReason(), actor);
            }
            if (v.state() == VersionState.PENDING) {
                throw new IllegalStateException("a PENDING version is discarded by its rotation, not revoked");
            }
            Instant now = clock.instant();
            // An emergency promotion records its reason: a scheduled retry after a crash revokes as the emergency did.
            reason = v.state() == VersionState.PREVIOUS && v.revokeReason() != null ? v.revokeReason() : reason;
            if (reason == RevocationReason.SUPERSEDED) {
                if (v.state() != VersionState.PREVIOUS) {
                    return true;
                }
                if (v.revokeAfter() == null || now.isBefore(v.revokeAfter())) {
                    scheduler.revokeAt(credentialId, version, v.revokeAfter());
                    return false;
                }
                Credential c = store.read(d -> d.credentials().find(credentialId)).orElseThrow(
                        () -> new IllegalStateException("credential " + credentialId + " does not exist"));
                RevocationDecision decision = decide(c, v, now);
                if (decision.outcome() == RevocationDecision.Outcome.WAIT) {
                    // Grace is over but consumers have still to acknowledge: check again at the latest
                    // permitted instant; an acknowledgement that completes the set checks at once.
                    scheduler.revokeAt(credentialId, version, decision.checkAgainAt());
                    return false;
                }
                return removeOrRecord(v, reason, actor) && markRevoked(v, reason, actor, false, decision.missing(),
                        c.acknowledgements() != null);
            }
            markRevoked(v, reason, actor, true, List.of(), false);
            return removeOrRecord(store.read(d -> d.versions().find(credentialId, version)).orElseThrow(), reason, actor);
        }
    }

    /**
     * {@link #markPending} for a credential being retired, in the caller's transaction (which holds its row lock):
     * REVOKED from the commit on, its removal from the targets recorded as pending (I4).
     */
    void markRemovalPending(Daos tx, CredentialVersion v, RevocationReason reason, String actor, Instant at) {
        markPending(tx, v, reason, actor, at);
    }

    /** Removes {@code v} from every target; on failure records it and schedules a retry, until it succeeds (I4). */
    private boolean removeOrRecord(CredentialVersion v, RevocationReason reason, String actor) {
        Credential c = store.read(d -> d.credentials().find(v.credentialId())).orElseThrow(
                () -> new IllegalStateException("credential " + v.credentialId() + " does not exist"));
        try {
            removeEverywhere(c, v, reason);
        } catch (RuntimeException e) {
            recordFailure(c, v, e, actor);
            return false;
        }
        Instant at = clock.instant();
        store.txRun(tx -> {
            BindingRecords.removed(tx, c, v.version(), at);
            if (v.revokeError() != null) {
                tx.versions().find(c.id(), v.version())
                        .ifPresent(fresh -> tx.versions().update(fresh.withRevokeFailure(fresh.revokeAttempts(), null)));
                audit.record(tx, actor, AuditAction.VERSION_REVOKED, AuditSubject.version(c.id(), v.version()), "ok",
                        "removed from every target after " + v.revokeAttempts() + " failed attempt(s)");
            }
        });
        return true;
    }

    /**
     * The decision for a PREVIOUS version whose grace is over. A consumer counts as moved on when it
     * has acknowledged any later version; the deadline runs from the promotion of the direct successor.
     */
    private RevocationDecision decide(Credential c, CredentialVersion v, Instant now) {
        if (c.acknowledgements() == null) {
            return RevocationDecision.decide(v.revokeAfter(), null, null, Set.of(), now);
        }
        return store.read(d -> {
            Instant supersededAt = null;
            Set<String> acknowledged = new HashSet<>();
            for (CredentialVersion later : d.versions().ofCredential(c.id())) {
                if (later.version() <= v.version()) {
                    continue;
                }
                if (supersededAt == null && later.promotedAt() != null) {
                    supersededAt = later.promotedAt();
                }
                d.acknowledgements().ofVersion(c.id(), later.version()).forEach(a -> acknowledged.add(a.consumer()));
            }
            return RevocationDecision.decide(v.revokeAfter(), supersededAt, c.acknowledgements(), acknowledged, now);
        });
    }

    /**
     * @param removalFollows marked before the removal (emergency, decommission) rather than after it
     * @param missing      consumers that had not acknowledged when the maximum grace period forced the revocation
     * @param waitsForAcks whether the credential waits for acknowledgements (its overdue flag is then kept current)
     */
    private boolean markRevoked(CredentialVersion v, RevocationReason reason, String actor, boolean removalFollows,
                                List<String> missing, boolean waitsForAcks) {
        FailPoints.reach("revoke.before-mark", v.credentialId());
        Instant at = clock.instant();
        store.txRun(tx -> {
            tx.credentials().findForUpdate(v.credentialId());
            CredentialVersion fresh = tx.versions().find(v.credentialId(), v.version()).orElseThrow();
            if (fresh.state() == VersionState.REVOKED) {
                return;
            }
            if (removalFollows) {
                markPending(tx, fresh, reason, actor, at);
                return;
            }
            tx.versions().update(workflow.revoke(fresh, at, reason));
            audit.record(tx, actor, AuditAction.VERSION_REVOKED, AuditSubject.version(v.credentialId(), v.version()), "ok",
                    "reason=" + reason.name().toLowerCase(java.util.Locale.ROOT));
            if (waitsForAcks) {
                // Overwritten at every revocation: the flag describes the latest one, which alerting reads.
                tx.credentials().setAcknowledgementOverdue(v.credentialId(), missing);
                if (!missing.isEmpty()) {
                    audit.record(tx, actor, AuditAction.VERSION_REVOKED_UNACKNOWLEDGED,
                            AuditSubject.version(v.credentialId(), v.version()), "overdue",
                            "maxGracePeriod over; not acknowledged by " + missing);
                }
            }
        });
        return true;
    }

    /**
     * Marks {@code v} REVOKED before its removal (emergency, decommission): "removal pending" is durable, so a crash
     * before the removal leaves it to be retried (I4).
     */
    private void markPending(Daos tx, CredentialVersion v, RevocationReason reason, String actor, Instant at) {
        CredentialVersion revoked = workflow.revoke(v, at, reason);
        tx.versions().update(revoked.withRevokeFailure(revoked.revokeAttempts(), "removal from targets pending"));
        audit.record(tx, actor, AuditAction.VERSION_REVOKED, AuditSubject.version(v.credentialId(), v.version()), "ok",
                "reason=" + reason.name().toLowerCase(java.util.Locale.ROOT) + " (removal from targets follows)");
    }

    /** A FAILED version is put back as before its rotation; any other goes on the CRL and off every target. */
    private void removeEverywhere(Credential c, CredentialVersion v, RevocationReason reason) {
        if (v.state() == VersionState.FAILED) {
            removal.discard(c, v);
        } else {
            removal.revoke(c, v, reason);
        }
    }

    private void recordFailure(Credential c, CredentialVersion v, RuntimeException e, String actor) {
        String error = FailureClassifier.describe(e);
        FailureClassifier.Kind kind = FailureClassifier.classify(e);
        int attempts = v.revokeAttempts() + 1;
        RetryPolicy retry = workflow.retryPolicy();
        Instant now = clock.instant();
        if (kind.unforeseen()) {
            LOG.error("revocation of {} failed (attempt {}, {}): {}", AuditSubject.version(c.id(), v.version()), attempts,
                    kind.description(), error, e);
        } else {
            LOG.warn("revocation of {} failed (attempt {}): {}", AuditSubject.version(c.id(), v.version()), attempts, error, e);
        }
        store.txRun(tx -> {
            tx.versions().update(v.withRevokeFailure(attempts, error));
            audit.record(tx, actor, AuditAction.VERSION_REVOCATION_FAILED, AuditSubject.version(c.id(), v.version()), "failed",
                    "attempt " + attempts + ": " + error);
        });
        // Never given up (I4): material left at a target must go eventually, and an operator who fixes a refusing
        // target should not have to find and restart the removal. The backoff is capped at maxBackoff.
        Duration wait = kind.retryable() ? retry.backoff(attempts, ThreadLocalRandom.current().nextDouble()) : retry.maxBackoff();
        scheduler.revokeAt(c.id(), v.version(), now.plus(wait));
    }
}
