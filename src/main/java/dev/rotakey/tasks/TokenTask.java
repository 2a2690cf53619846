package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.auth.Operator;
import dev.rotakey.auth.OperatorTokens;
import dev.rotakey.core.RejectedException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The bearer tokens' tasks, each answering at once: {@code POST /tasks/issue-token?name=&role=&expires=} answers a new
 * token of a role ({@link dev.rotakey.auth.Role}; {@code verifier} by default; {@code role=owner} with {@code owner=},
 * the owner whose agents it may reach), valid until revoked or for
 * {@code expires} (an ISO-8601 duration such as {@code P90D}, or an instant), once (only its digest is kept);
 * {@code POST /tasks/rotate-token?name=&grace=} answers a new secret for a token, the old one valid for {@code grace}
 * more ({@code PT1H} by default); {@code POST /tasks/revoke-token?name=} revokes one at once.
 */
public final class TokenTask extends OperatorTask {
    private static final Duration DEFAULT_GRACE = Duration.ofHours(1);

    /** What the task does. */
    public enum Kind {
        ISSUE("issue-token"), ROTATE("rotate-token"), REVOKE("revoke-token");

        private final String taskName;

        Kind(String taskName) {
            this.taskName = taskName;
        }
    }

    private final OperatorTokens tokens;
    private final Kind kind;
    private final Clock clock;

    public TokenTask(OperatorTokens tokens, ObjectMapper mapper, Kind kind, Clock clock) {
        super(kind.taskName, mapper);
        this.tokens = tokens;
        this.kind = kind;
        this.clock = clock;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) {
        String name = requireParam(parameters, "name");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        switch (kind) {
            case ISSUE -> {
                String role = param(parameters, "role").orElse(OperatorTokens.VERIFIER);
                Instant expires = param(parameters, "expires").map(this::expiry).orElse(null);
                String owner = param(parameters, "owner").orElse(null);
                out.put("role", role);
                Optional.ofNullable(owner).ifPresent(o -> out.put("owner", o));
                out.put("token", tokens.issue(name, role, expires, owner, operator.actor()));
                Optional.ofNullable(expires).ifPresent(e -> out.put("expiresAt", e.toString()));
            }
            case ROTATE -> {
                Duration grace = param(parameters, "grace").map(g -> duration("grace", g)).orElse(DEFAULT_GRACE);
                OperatorTokens.Rotated rotated = tokens.rotate(name, grace, operator.actor());
                out.put("token", rotated.token());
                out.put("previousValidUntil", rotated.previousValidUntil().toString());
            }
            case REVOKE -> {
                tokens.revoke(name, operator.actor());
                out.put("revoked", true);
            }
        }
        return out;
    }

    /** An ISO-8601 duration from now, or an instant. */
    private Instant expiry(String value) {
        if (value.startsWith("P") || value.startsWith("p")) {
            return clock.instant().plus(duration("expires", value));
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw RejectedException.invalid("expires", "must be an ISO-8601 duration (P90D) or instant (2027-03-01T00:00:00Z)");
        }
    }

    private static Duration duration(String field, String value) {
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw RejectedException.invalid(field, "must be an ISO-8601 duration such as PT1H or P90D");
        }
    }
}
