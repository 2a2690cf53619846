package dev.rotakey.posture;

import dev.rotakey.auth.NeededRoles;
import dev.rotakey.auth.Role;
import dev.rotakey.db.PostureDao;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The posture report's findings about API tokens: tokens nobody uses ({@code token-unused}) and tokens whose role is
 * broader than their calls have needed ({@code token-too-broad}, from {@code api_tokens.needed_role}, which
 * {@link NeededRoles} keeps).
 */
final class TokenFindings {
    private final PostureFactory policy;

    TokenFindings(PostureFactory policy) {
        this.policy = policy;
    }

    List<Finding> find(List<PostureDao.TokenRow> tokens, Instant now) {
        Instant unusedBefore = now.minus(policy.getTokenUnusedAfter());
        Instant judgedBefore = now.minus(policy.getTokenBreadthAfter());
        List<Finding> out = new ArrayList<>();
        for (PostureDao.TokenRow t : tokens) {
            String subject = "token:" + t.name();
            String revoke = "POST /tasks/revoke-token?name=" + t.name();
            if (t.lastUsedAt() == null ? t.createdAt().isBefore(unusedBefore) : t.lastUsedAt().isBefore(unusedBefore)) {
                out.add(finding(FindingKind.TOKEN_UNUSED, t, subject, t.lastUsedAt() == null
                                ? "role " + t.role() + " token issued " + t.createdAt() + " and never used"
                                : "role " + t.role() + " token last used " + t.lastUsedAt(),
                        "revoke it if nothing needs it: " + revoke, t.lastUsedAt() == null ? t.createdAt() : t.lastUsedAt()));
                continue;
            }
            Role role = Role.of(t.role()).orElse(null);
            Role needed = Role.of(t.neededRole()).orElse(null);
            if (role != null && t.createdAt().isBefore(judgedBefore) && NeededRoles.broaderThanNeeded(role, needed)) {
                out.add(finding(FindingKind.TOKEN_TOO_BROAD, t, subject, "role " + role.wireName()
                                + " token whose calls since " + t.createdAt() + " needed no more than " + needed.wireName(),
                        "issue a '" + needed.wireName() + "' token in its place (POST /tasks/issue-token?name=...&role="
                                + needed.wireName() + "), then " + revoke, t.createdAt()));
            }
        }
        return out;
    }

    private static Finding finding(FindingKind kind, PostureDao.TokenRow t, String subject, String summary,
                                   String remedy, Instant since) {
        return new Finding(kind, kind.severity(), null, t.owner(), null, null, subject, summary, remedy,
                PostureFinder.audit(subject), since);
    }
}
