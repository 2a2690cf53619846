package dev.rotakey.cluster;

import dev.rotakey.core.CredentialLocks;
import dev.rotakey.db.AdvisoryLocks;
import dev.rotakey.db.Store;

import java.util.Collection;

/**
 * The locks the nodes of a cluster share, as PostgreSQL advisory locks in spaces of Rotakey's own: one per
 * credential (a rotation step or a revocation at a time, whichever node runs it) and one for start-up (the first
 * node creates the key material, the CAs and the bootstrap token; the others wait, then find them).
 */
public final class ClusterLocks {
    /** 'R','K' and a space number: apart from any other application's advisory locks on the same database. */
    static final int STARTUP_SPACE = 0x524B0000;
    static final int CREDENTIAL_SPACE = 0x524B0001;

    private final AdvisoryLocks locks;
    private final int cluster;

    /** @param clusterName {@code scheduler.instanceName}: two clusters on one database do not wait for each other's start */
    public ClusterLocks(Store store, String clusterName) {
        this.locks = store.advisoryLocks();
        this.cluster = clusterName.hashCode();
    }

    /** The credential locks across nodes: two credentials whose ids hash alike merely take turns. */
    public CredentialLocks.NodeExclusion credentials() {
        return new CredentialLocks.NodeExclusion() {
            @Override
            public CredentialLocks.Held hold(String credentialId) {
                return locks.acquire(CREDENTIAL_SPACE, credentialId.hashCode())::close;
            }

            @Override
            public CredentialLocks.Held holdAll(Collection<String> credentialIds) {
                return locks.acquireAll(CREDENTIAL_SPACE, credentialIds.stream().map(String::hashCode).toList())::close;
            }
        };
    }

    /** Waits until no other node is starting; held until closed. */
    public AdvisoryLocks.Lock startup() {
        return locks.acquire(STARTUP_SPACE, cluster);
    }
}
