package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;

/**
 * Whether a presented API key is valid, whose it is and in which state; {@code reason} says why
 * an invalid key is refused ({@code malformed}, {@code unknown}, {@code revoked}, …).
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
        Instant revokeAfter) {

    public static VerifyKeyResponse refused(String reason) {
        return new VerifyKeyResponse(false, reason, null, null, null, null, null, null);
    }
}
