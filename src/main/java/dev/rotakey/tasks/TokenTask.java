package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.auth.Operator;
import dev.rotakey.auth.OperatorTokens;

import java.util.List;
import java.util.Map;

/**
 * {@code POST /tasks/issue-token?name=&role=} answers a new bearer token of a role ({@link dev.rotakey.auth.Role};
 * {@code verifier} by default), once (only its digest is kept); {@code POST /tasks/revoke-token?name=} revokes one.
 * Consuming services get {@code verifier} tokens, which can only verify API keys.
 */
public final class TokenTask extends OperatorTask {
    private final OperatorTokens tokens;
    private final boolean issue;

    public TokenTask(OperatorTokens tokens, ObjectMapper mapper, boolean issue) {
        super(issue ? "issue-token" : "revoke-token", mapper);
        this.tokens = tokens;
        this.issue = issue;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) {
        String name = requireParam(parameters, "name");
        if (issue) {
            String role = param(parameters, "role").orElse(OperatorTokens.VERIFIER);
            return Map.of("name", name, "role", role, "token", tokens.issue(name, role, operator.actor()));
        }
        tokens.revoke(name, operator.actor());
        return Map.of("name", name, "revoked", true);
    }
}
