package dev.rotakey.targets;

/**
 * The user name a version logs in with at one of its credential's bindings (a PostgreSQL login role), as
 * {@link Target#login} decided it. Passed to the credential's other bindings so that a consumer reading the
 * secret from a file or a webhook also learns which user name goes with it. Public data.
 */
public record Login(String target, String login) {
}
