package dev.rotakey.core;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion per credential while a rotation step or a revocation works on it: in process, striped over a
 * fixed number of locks so that memory does not grow with the number of credentials, and on a cluster also across
 * nodes through a {@link NodeExclusion} (PostgreSQL advisory locks), which a dead node's database session releases.
 * Re-entrant per thread, so a revocation run inside a rotation of the same credential does not wait for itself.
 */
public final class CredentialLocks {
    /** Exclusion across the nodes of a cluster, held until closed. */
    @FunctionalInterface
    public interface NodeExclusion {
        Held hold(String credentialId);
    }

    /** A held lock; closing it releases it. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private final ReentrantLock[] stripes;
    private final NodeExclusion acrossNodes;
    /** Per thread, the credentials it holds across nodes and how many times it entered each. */
    private final ThreadLocal<Map<String, Integer>> entered = ThreadLocal.withInitial(HashMap::new);

    /** In-process locks only: a single node. */
    public CredentialLocks(int stripes) {
        this(stripes, null);
    }

    /** In-process locks, and {@code acrossNodes} (when not null) for the other nodes of a cluster. */
    public CredentialLocks(int stripes, NodeExclusion acrossNodes) {
        this.stripes = new ReentrantLock[stripes];
        for (int i = 0; i < stripes; i++) {
            this.stripes[i] = new ReentrantLock();
        }
        this.acrossNodes = acrossNodes;
    }

    /** Waits until this thread holds {@code credentialId} on this node and, on a cluster, on every node. */
    public Held lock(String credentialId) {
        ReentrantLock local = stripes[Math.floorMod(credentialId.hashCode(), stripes.length)];
        local.lock();
        if (acrossNodes == null) {
            return local::unlock;
        }
        Map<String, Integer> mine = entered.get();
        Integer depth = mine.get(credentialId);
        Held cluster = null;
        if (depth == null) {
            try {
                cluster = acrossNodes.hold(credentialId);
            } catch (RuntimeException e) {
                local.unlock();
                throw e;
            }
        }
        mine.merge(credentialId, 1, Integer::sum);
        Held outer = cluster;
        return () -> {
            try {
                if (mine.merge(credentialId, -1, Integer::sum) == 0) {
                    mine.remove(credentialId);
                    if (outer != null) {
                        outer.close();
                    }
                }
            } finally {
                local.unlock();
            }
        };
    }
}
