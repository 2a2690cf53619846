package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Whether a presented API key is valid, whose it is and in which state; {@code reason} says why an invalid key is
 * refused ({@code malformed}, {@code unknown}, {@code revoked}, {@code suspended}, {@code scope}, …). A key Rotakey
 * knows also carries its credential's {@code scopes} and its agent's {@code attributes}, for the relying service's own
 * policy; {@code missingScopes} lists what a {@code scope} refusal lacked.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VerifyKeyResponse(
        boolean valid,
        String reason,
        String agent,
        String owner,
        String credential,
        Integer version,
        String state,
        Instant revokeAfter,
        List<String> scopes,
        Map<String, String> attributes,
        List<String> missingScopes) {

    public VerifyKeyResponse(boolean valid, String reason, String agent, String owner, String credential,
                             Integer version, String state, Instant revokeAfter) {
        this(valid, reason, agent, owner, credential, version, state, revokeAfter, null, null, null);
    }

    public static VerifyKeyResponse refused(String reason) {
        return new VerifyKeyResponse(false, reason, null, null, null, null, null, null);
    }
}
