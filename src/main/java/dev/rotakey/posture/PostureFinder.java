package dev.rotakey.posture;

import dev.rotakey.audit.AuditSubject;
import dev.rotakey.db.AlertDao;
import dev.rotakey.db.Daos;
import dev.rotakey.db.PostureDao;
import org.quartz.CronExpression;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the fleet's posture problems about agents and credentials: one set-based read per kind ({@link PostureDao},
 * and two of the alert conditions' reads, {@link AlertDao}), turned into {@link Finding}s with their remedies. Tokens
 * are {@link TokenFindings}'.
 */
final class PostureFinder {
    /** Bound in place of "no limit" where a read shared with the alert conditions takes one. */
    private static final int ALL = Integer.MAX_VALUE;

    private final PosturePolicy policy;

    PostureFinder(PosturePolicy policy) {
        this.policy = policy;
    }

    /** Every finding about agents and credentials at {@code now}, read in {@code d}'s session. */
    List<Finding> find(Daos d, List<PostureDao.AgentRow> agents, Instant now) {
        List<Finding> out = new ArrayList<>();
        agents(agents, now, out);
        PostureDao p = d.posture();
        Set<String> overdue = new HashSet<>();
        for (AlertDao.Subject s : d.alerts().overdue(now.minus(policy.overdueAfter()), ALL)) {
            overdue.add(s.credentialId());
            out.add(credential(FindingKind.ROTATION_OVERDUE, s.credentialId(), null, s.agentId(), s.owner(), s.at(),
                    "rotation due since " + s.at() + " has not succeeded",
                    "rotakeyctl rotate --credential " + s.credentialId() + " --wait (if it fails: rotakeyctl rotations "
                            + s.credentialId() + ")"));
        }
        for (PostureDao.CredentialRow r : p.neverRotated(now)) {
            Instant due = firstRotation(r);
            if (due != null && due.isBefore(now) && !overdue.contains(r.credentialId())) {
                out.add(credential(FindingKind.NEVER_ROTATED, r.credentialId(), null, r.agentId(), r.owner(), r.at(),
                        "still at version 1 since its creation; its first rotation was due " + due,
                        "rotakeyctl rotate --credential " + r.credentialId() + " --wait, then check its schedule with "
                                + "rotakeyctl plan"));
            }
        }
        for (PostureDao.CredentialRow r : p.longCertificates(policy.posture().getMaxCertificateValidity().toSeconds())) {
            Duration validity = Duration.between(r.at(), Instant.parse(r.extra()));
            out.add(credential(FindingKind.CERTIFICATE_VALIDITY, r.credentialId(), r.version(), r.agentId(), r.owner(),
                    r.at(), "certificate " + r.detail() + " is valid for " + validity.toDays() + " days, more than the "
                            + policy.posture().getMaxCertificateValidity().toDays() + " the policy allows",
                    "shorten the validity of " + r.credentialId() + "'s certificate profile to at most "
                            + policy.posture().getMaxCertificateValidity() + ", then rotakeyctl rotate --credential "
                            + r.credentialId()));
        }
        for (PostureDao.CredentialRow r : p.unused(now.minus(policy.posture().getUnusedAfter()))) {
            out.add(credential(FindingKind.UNUSED, r.credentialId(), null, r.agentId(), r.owner(), r.at(),
                    "last used " + r.at() + " (version " + r.version() + ", by " + r.detail() + "): a candidate for removal",
                    "confirm with " + r.owner() + " that nothing needs it, then remove it (or its agent: rotakeyctl "
                            + "decommission --agent " + r.agentId() + ")"));
        }
        for (PostureDao.CredentialRow r : p.neverVerified(now.minus(policy.posture().getNeverVerifiedAfter()))) {
            out.add(credential(FindingKind.NEVER_VERIFIED, r.credentialId(), null, r.agentId(), r.owner(), r.at(),
                    "API key created " + r.at() + " and never presented for verification",
                    "check that its consumers verify it (POST /api/v1/api-keys/verify), or remove it if nothing uses it"));
        }
        for (PostureDao.AwaitedRow r : p.awaitedAcknowledgements()) {
            unacknowledged(r, out);
        }
        for (PostureDao.CredentialRow r : p.previousInUse(now.minus(policy.posture().getPreviousInUseWithin()))) {
            out.add(credential(FindingKind.PREVIOUS_IN_USE, r.credentialId(), r.version(), r.agentId(), r.owner(), r.at(),
                    "superseded version " + r.version() + " was used " + r.detail() + " times since its successor's "
                            + "promotion, last " + r.at() + " (by " + r.extra() + ")",
                    "move " + r.extra() + " to the current version of " + r.credentialId()
                            + " before the grace period ends (rotakeyctl credentials show " + r.credentialId() + ")"));
        }
        for (AlertDao.Subject s : d.alerts().failedRevocations(ALL)) {
            out.add(credential(FindingKind.REVOCATION_FAILED, s.credentialId(), s.version(), s.agentId(), s.owner(),
                    s.at(), "removal of version " + s.version() + " failed " + s.extra() + " times: "
                            + oneLine(s.detail()),
                    "fix the target named in the error (rotakeyctl credentials show " + s.credentialId()
                            + "); the removal is retried until it succeeds"));
        }
        return out;
    }

    private void agents(List<PostureDao.AgentRow> agents, Instant now, List<Finding> out) {
        int max = policy.posture().getMaxCredentialsPerAgent();
        for (PostureDao.AgentRow a : agents) {
            if (a.suspendedAt() != null) {
                out.add(agent(FindingKind.AGENT_SUSPENDED, a, a.suspendedAt(), "suspended since " + a.suspendedAt()
                                + " at its attestation deadline: its keys are refused",
                        a.owner() + " re-attests agent " + a.id() + ", or: rotakeyctl decommission --agent " + a.id()));
            } else {
                attestation(a, now, out);
            }
            if (a.credentials() > max) {
                out.add(agent(FindingKind.TOO_MANY_CREDENTIALS, a, null, a.credentials()
                                + " active credentials, more than the " + max + " the policy allows",
                        "decommission the credentials agent " + a.id() + " no longer needs, or split it into agents "
                                + "of one purpose each"));
            }
        }
    }

    private void attestation(PostureDao.AgentRow a, Instant now, List<Finding> out) {
        Duration every = attestEvery(a.attestEvery());
        if (every == null) {
            return;
        }
        Instant from = a.attestedAt() != null ? a.attestedAt() : a.createdAt();
        Instant deadline = from.plus(every);
        String attested = a.attestedAt() == null ? "never attested since its creation " + a.createdAt()
                : "last attested " + a.attestedAt();
        if (!deadline.isAfter(now)) {
            out.add(agent(FindingKind.ATTESTATION_OVERDUE, a, deadline, attested + "; attestation was due " + deadline,
                    a.owner() + " re-attests agent " + a.id() + " now, or: rotakeyctl decommission --agent " + a.id()));
        } else if (!deadline.minus(policy.attestWarning()).isAfter(now)) {
            out.add(agent(FindingKind.ATTESTATION_DUE, a, null, attested + "; attestation is due " + deadline,
                    a.owner() + " re-attests agent " + a.id() + " before " + deadline));
        }
    }

    /** The agent's own interval, else the configured one; null: attestation is not required. */
    private Duration attestEvery(String own) {
        if (own != null) {
            try {
                return Duration.parse(own);
            } catch (DateTimeParseException e) {
                // Written by the API, which validates it; an unreadable one falls back to the fleet's policy.
            }
        }
        return policy.attestEvery();
    }

    private static void unacknowledged(PostureDao.AwaitedRow r, List<Finding> out) {
        if (!r.overdue().isEmpty()) {
            out.add(new Finding(FindingKind.UNACKNOWLEDGED, Severity.HIGH, r.agentId(), r.owner(), r.credentialId(),
                    r.version(), versionSubject(r.credentialId(), r.version()), "consumers " + String.join(", ", r.overdue())
                    + " had not acknowledged when the previous version was revoked at the end of its longest grace period",
                    "check that " + String.join(", ", r.overdue()) + " use version " + r.version() + ", then have them "
                            + "acknowledge it: POST /api/v1/credentials/" + r.credentialId() + "/versions/" + r.version()
                            + "/ack", audit(versionSubject(r.credentialId(), r.version())), r.promotedAt()));
            return;
        }
        if (r.policy() == null) {
            return;
        }
        List<String> missing = r.policy().consumers().stream().filter(c -> !r.acknowledged().contains(c)).toList();
        if (!missing.isEmpty()) {
            out.add(new Finding(FindingKind.UNACKNOWLEDGED, FindingKind.UNACKNOWLEDGED.severity(), r.agentId(), r.owner(),
                    r.credentialId(), r.version(), versionSubject(r.credentialId(), r.version()), "consumers "
                    + String.join(", ", missing) + " have not acknowledged version " + r.version()
                    + "; the previous version waits for them",
                    "have " + String.join(", ", missing) + " acknowledge it: POST /api/v1/credentials/"
                            + r.credentialId() + "/versions/" + r.version() + "/ack",
                    audit(versionSubject(r.credentialId(), r.version())), r.promotedAt()));
        }
    }

    /** When a credential created with version 1 was first due to rotate; null when that cannot be told. */
    private static Instant firstRotation(PostureDao.CredentialRow r) {
        try {
            if (r.detail() != null) {
                return r.at().plus(Duration.parse(r.detail()));
            }
            if (r.extra() != null) {
                Date next = new CronExpression(r.extra()).getNextValidTimeAfter(Date.from(r.at()));
                return next == null ? null : next.toInstant();
            }
        } catch (DateTimeParseException | ParseException e) {
            // Validated when the credential was created; a policy that cannot be read is not judged.
        }
        return null;
    }

    private static Finding agent(FindingKind kind, PostureDao.AgentRow a, Instant since, String summary, String remedy) {
        String subject = AuditSubject.agent(a.id());
        return new Finding(kind, kind.severity(), a.id(), a.owner(), null, null, subject, summary, remedy,
                audit(subject), since);
    }

    private static Finding credential(FindingKind kind, String credential, Integer version, String agent, String owner,
                                      Instant since, String summary, String remedy) {
        String subject = version == null ? AuditSubject.credential(credential) : versionSubject(credential, version);
        return new Finding(kind, kind.severity(), agent, owner, credential, version, subject, summary, remedy,
                audit(subject), since);
    }

    private static String versionSubject(String credential, int version) {
        return AuditSubject.version(credential, version);
    }

    /** The audit events of {@code subject} (and, for a credential, of its versions: subjects match as prefixes). */
    static String audit(String subject) {
        return "/api/v1/audit?subject=" + URLEncoder.encode(subject, StandardCharsets.UTF_8);
    }

    /** A stored error on one line, cut short: a summary is one line. */
    private static String oneLine(String text) {
        String flat = text == null ? "" : text.replaceAll("\\s+", " ").trim();
        return flat.length() > 200 ? flat.substring(0, 197) + "..." : flat;
    }
}
