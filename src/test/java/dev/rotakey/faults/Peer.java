package dev.rotakey.faults;

/** A real system Rotakey talks to, which the fault model can cut off; each target and backend once. */
enum Peer {
    /** The webhook consumer (target {@code hook}), through a proxy. */
    HOOK(true),
    /** PostgreSQL (target {@code pg}), through a proxy. */
    POSTGRES(false),
    /** Redis (target {@code redis}), through a proxy. */
    REDIS(false),
    /** MariaDB (target {@code maria}), through a proxy. */
    MARIADB(false),
    /** The Vault double as KV target ({@code kv}), through a proxy. */
    VAULT_KV(true),
    /** The Vault double as transit backend ({@code transit}), through a proxy. */
    VAULT_TRANSIT(true),
    /** The {@code local-files} target, through {@link FailingTarget}: fault REFUSE means writes fail. */
    FILES(false),
    /** The {@code hsm} SoftHSM2 backend, through {@link FailingKeyBackend}: fault REFUSE means token ops fail. */
    HSM(false);

    private final boolean http;

    Peer(boolean http) {
        this.http = http;
    }

    boolean http() {
        return http;
    }

    boolean proxied() {
        return this != FILES && this != HSM;
    }
}
