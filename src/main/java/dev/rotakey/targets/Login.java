package dev.rotakey.targets;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The user name a version logs in with at one of its credential's bindings (a database role, a Redis user), as
 * {@link Target#login} decided it, and where ({@link Target#endpoint}; null when the target does not say). Passed to the
 * credential's other bindings so that a consumer reading the secret from a file or a webhook also learns which user
 * name goes with it. Public data.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Login(String target, String login, Endpoint endpoint) {
    public Login(String target, String login) {
        this(target, login, null);
    }
}
