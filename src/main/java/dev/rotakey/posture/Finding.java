package dev.rotakey.posture;

import java.time.Instant;

/**
 * One problem of the fleet's posture: what it is, how bad, whose, a one-line summary and a one-line remedy (a command or
 * a step), and a link to the audit events about its subject. Never a secret: identifiers, times and counts only.
 *
 * @param agent      the agent concerned (null for a token)
 * @param owner      the agent's owner, or an owner-scoped token's owner (null for other tokens)
 * @param credential the credential concerned, if any
 * @param version    the version concerned, if any
 * @param subject    the audit subject it is about ({@code agent:a}, {@code credential:c}, {@code credential:c/v2},
 *                   {@code token:t}); with the kind, what identifies the finding from one report to the next
 * @param audit      a relative link to the audit events of the subject
 * @param since      since when the problem has been there, when that is known
 */
public record Finding(FindingKind kind, Severity severity, String agent, String owner, String credential,
                      Integer version, String subject, String summary, String remedy, String audit, Instant since) {
    /** What identifies this finding across reports: the same kind about the same subject is the same finding. */
    public String fingerprint() {
        return kind.wireName() + " " + subject;
    }
}
