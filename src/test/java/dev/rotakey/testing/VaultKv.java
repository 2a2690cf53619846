package dev.rotakey.testing;

/** The KV version 2 secrets engine: versioned secrets with check-and-set, soft delete and destroy. */
final class VaultKv {
    private final VaultTokens tokens;

    VaultKv(VaultTokens tokens) {
        this.tokens = tokens;
    }

    VaultReply handle(VaultCall call) {
        throw VaultError.notFound();
    }
}
