package dev.rotakey.backend.vault;

import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;

import java.security.PublicKey;

/** A transit signing key pinned to one version: alias, spec, that version's public key; signs through its backend. */
final class TransitSigningKey implements SigningKey {
    private final VaultTransitKeyBackend backend;
    private final String alias;
    private final KeySpec spec;
    private final PublicKey publicKey;
    private final int version;

    TransitSigningKey(VaultTransitKeyBackend backend, String alias, KeySpec spec, PublicKey publicKey, int version) {
        this.backend = backend;
        this.alias = alias;
        this.spec = spec;
        this.publicKey = publicKey;
        this.version = version;
    }

    @Override
    public String alias() {
        return alias;
    }

    @Override
    public KeySpec spec() {
        return spec;
    }

    @Override
    public PublicKey publicKey() {
        return publicKey;
    }

    int version() {
        return version;
    }

    @Override
    public byte[] sign(byte[] data) {
        return backend.sign(this, data);
    }

    @Override
    public String toString() {
        return "SigningKey{backend=" + backend.name() + ", alias=" + alias + ", spec=" + spec + ", version=" + version + "}";
    }
}
