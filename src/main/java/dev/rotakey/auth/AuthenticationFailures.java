package dev.rotakey.auth;

import dev.rotakey.api.ErrorBody;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;

/**
 * The one place a failed authentication is decided and recorded, wherever it happens (the bearer filter of either
 * port, a version's acknowledgement presenting a wrong secret, an admin task reached without an operator): the 401
 * body and challenge, and an {@code auth.failed} audit event, at most {@value #AUDITED_PER_MINUTE} a minute per
 * remote address and kind of credential, so that a flood of bad tokens cannot flood the audit trail.
 */
public final class AuthenticationFailures {
    private static final Logger LOG = LoggerFactory.getLogger(AuthenticationFailures.class);
    static final int AUDITED_PER_MINUTE = 20;

    /** The header a 401 carries, and its value. */
    public static final String CHALLENGE_HEADER = "WWW-Authenticate";
    public static final String CHALLENGE = "Bearer realm=\"rotakey\"";
    public static final String MISSING_TOKEN = "missing Authorization header: use 'Authorization: Bearer <token>'";

    /** What failed to authenticate a request; each kind has its own budget of audited failures per address. */
    public enum Kind {
        /** A bearer token on the application port. */
        APPLICATION_TOKEN,
        /** A bearer token on the admin port. */
        ADMIN_TOKEN,
        /** A version's own secret, presented to acknowledge that version. */
        VERSION_SECRET
    }

    private final AuditLog audit;
    private final FailureBudget budget;

    public AuthenticationFailures(AuditLog audit, Clock clock) {
        this.audit = audit;
        this.budget = new FailureBudget(AUDITED_PER_MINUTE, clock);
    }

    /**
     * Records that a request from {@code remoteAddress} to {@code subject} ({@code "POST /api/v1/..."}) failed to
     * authenticate with a credential of {@code kind}, and answers the body of its 401.
     */
    public ErrorBody refuse(Kind kind, String remoteAddress, String subject, String problem) {
        if (budget.allow(kind.name() + " " + remoteAddress)) {
            try {
                audit.record("anonymous", AuditAction.AUTH_FAILED, subject, "denied", problem + " from " + remoteAddress);
            } catch (RuntimeException e) {
                LOG.warn("cannot audit a failed authentication", e);
            }
        } else {
            LOG.debug("failed authentication from {} not audited: over {} this minute", remoteAddress, AUDITED_PER_MINUTE);
        }
        return unauthenticated(problem);
    }

    /**
     * The body of a 401 that is not audited here: for a request that should never have got past the bearer
     * filter, which audited it already.
     */
    public static ErrorBody unauthenticated(String problem) {
        return new ErrorBody(401, problem, null);
    }
}
