package dev.rotakey.auth;

import dev.rotakey.api.ErrorBody;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.OptionalLong;

/**
 * The one place a failed authentication is decided and recorded, wherever it happens (the bearer filter of either
 * port, a version's acknowledgement presenting a wrong secret, an admin task reached without an operator): the 401
 * body and challenge, and an {@code auth.failed} audit event, at most {@value #AUDITED_PER_MINUTE} a minute per
 * remote address and kind of credential, so that a flood of bad tokens cannot flood the audit trail; and the lock-out
 * of an address that keeps failing ({@link GuessingLockout}), answered 429 whatever it presents.
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
        VERSION_SECRET,
        /** A client certificate presented on the API port's mutual-TLS connector. */
        CLIENT_CERTIFICATE
    }

    private final AuditLog audit;
    private final FailureBudget budget;
    private final GuessingLockout lockout;

    /** Without a lock-out of guessing. */
    public AuthenticationFailures(AuditLog audit, Clock clock) {
        this(audit, clock, null);
    }

    /** @param lockout what locks out an address that keeps failing; null for none */
    public AuthenticationFailures(AuditLog audit, Clock clock, GuessingLockout lockout) {
        this.audit = audit;
        this.budget = new FailureBudget(AUDITED_PER_MINUTE, clock);
        this.lockout = lockout;
    }

    /** Seconds until {@code remoteAddress} may try to authenticate again, while it is locked out for guessing. */
    public OptionalLong retryAfter(String remoteAddress) {
        return lockout == null ? OptionalLong.empty() : lockout.retryAfter(remoteAddress);
    }

    /** The body of the 429 an address locked out for guessing gets, whatever it presents. */
    public static ErrorBody tooManyFailures(long retryAfterSeconds) {
        return new ErrorBody(429, "too many failed authentications from this address: try again in "
                + retryAfterSeconds + " s", null);
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
        // A request without credentials guesses nothing; one presenting a wrong one does.
        if (lockout != null && !MISSING_TOKEN.equals(problem) && lockout.failed(remoteAddress)) {
            LOG.warn("{} locked out: too many failed authentications", remoteAddress);
            try {
                audit.record("anonymous", AuditAction.AUTH_LOCKED_OUT, subject, "denied",
                        "too many failed authentications from " + remoteAddress + ": refused for a while");
            } catch (RuntimeException e) {
                LOG.warn("cannot audit a lock-out", e);
            }
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
