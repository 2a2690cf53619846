package dev.rotakey.backend;

import java.security.PublicKey;

/**
 * What every backend's signing-key handle holds: the key's alias, spec and public key, while the
 * private half stays in the backend. Subclasses sign through their backend.
 */
public abstract class BackendSigningKey implements SigningKey {
    private final String backendName;
    private final String alias;
    private final KeySpec spec;
    private final PublicKey publicKey;

    protected BackendSigningKey(String backendName, String alias, KeySpec spec, PublicKey publicKey) {
        this.backendName = backendName;
        this.alias = alias;
        this.spec = spec;
        this.publicKey = publicKey;
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

    /** Names the key and its backend; there is nothing secret in a handle to leave out. */
    @Override
    public String toString() {
        return "SigningKey{backend=" + backendName + ", alias=" + alias + ", spec=" + spec + details() + "}";
    }

    /** More of what identifies the key ({@code ", version=2"}), or empty. */
    protected String details() {
        return "";
    }
}
