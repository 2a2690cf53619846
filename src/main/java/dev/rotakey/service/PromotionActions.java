package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.core.Credential;
import dev.rotakey.targets.Promotion;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs what a credential's bindings ask for once a version's promotion is committed (a local-files binding's
 * {@code onPromote} hook), and audits each outcome. A failure never undoes the promotion: it is logged, audited as
 * {@code target.promotion-action-failed} and raises {@code RotakeyReloadHookFailed} until a later action of the
 * credential succeeds.
 */
public final class PromotionActions {
    private static final Logger LOG = LoggerFactory.getLogger(PromotionActions.class);

    private final Targets targets;
    private final AuditLog audit;

    public PromotionActions(Targets targets, AuditLog audit) {
        this.targets = targets;
        this.audit = audit;
    }

    /** Acts on the promotion of {@code version} of {@code c} at each binding; never throws. */
    public void promoted(Credential c, int version, String actor) {
        for (TargetBinding b : c.bindings()) {
            Target target = targets.find(b.target()).orElse(null);
            if (target == null) {
                continue;
            }
            String subject = AuditSubject.version(c.id(), version);
            try {
                if (target.promoted(new Promotion(c.agentId(), c.id(), c.type().wireName(), version, b))) {
                    audit.record(actor, AuditAction.TARGET_PROMOTION_ACTION, subject, "ok", "target=" + b.target());
                }
            } catch (RuntimeException e) {
                String why = FailureClassifier.describe(e);
                LOG.warn("after promoting version {} of {}: target '{}' failed: {}", version, c.id(), b.target(), why);
                try {
                    audit.record(actor, AuditAction.TARGET_PROMOTION_ACTION_FAILED, subject, "failed",
                            "target=" + b.target() + " error=" + why);
                } catch (RuntimeException auditFailure) {
                    LOG.error("cannot audit the failed promotion action of {} v{}: {}", c.id(), version,
                            FailureClassifier.describe(auditFailure));
                }
            }
        }
    }
}
