package dev.rotakey.backend.vault;

import dev.rotakey.backend.BackendSigningKey;
import dev.rotakey.backend.KeySpec;

import java.security.PublicKey;

/** A transit signing key pinned to one version, with that version's public key; signs through its backend. */
final class TransitSigningKey extends BackendSigningKey {
    private final VaultTransitKeyBackend backend;
    private final int version;

    TransitSigningKey(VaultTransitKeyBackend backend, String alias, KeySpec spec, PublicKey publicKey, int version) {
        super(backend.name(), alias, spec, publicKey);
        this.backend = backend;
        this.version = version;
    }

    int version() {
        return version;
    }

    @Override
    public byte[] sign(byte[] data) {
        return backend.sign(this, data);
    }

    @Override
    protected String details() {
        return ", version=" + version;
    }
}
