package dev.rotakey.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion per credential while a rotation step or a revocation works on it: in process, striped over a
 * fixed number of locks so that memory does not grow with the number of credentials, and on a cluster also across
 * nodes through a {@link NodeExclusion} (PostgreSQL advisory locks), which a dead node's database session releases.
 * Re-entrant per thread, so a revocation run inside a rotation of the same credential does not wait for itself.
 */
public final class CredentialLocks {
    /** Exclusion across the nodes of a cluster, held until closed. */
    public interface NodeExclusion {
        Held hold(String credentialId);

        /** Holds all of {@code credentialIds} at once; by default one by one, in order. */
        default Held holdAll(Collection<String> credentialIds) {
            List<Held> held = new ArrayList<>();
            try {
                for (String id : new TreeSet<>(credentialIds)) {
                    held.add(hold(id));
                }
            } catch (RuntimeException e) {
                releaseAll(held);
                throw e;
            }
            return () -> releaseAll(held);
        }
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

    /**
     * Waits until this thread holds every one of {@code credentialIds}, for work on many credentials together (a
     * batch's first versions). Stripes are taken in ascending order and the locks across nodes all at once, so that
     * two holders of overlapping sets never wait for each other in a circle. While held, work on the other credentials
     * that share a stripe waits too: keep the set small (a few hundred) and the hold short.
     */
    public Held lockAll(Collection<String> credentialIds) {
        int[] indices = credentialIds.stream().mapToInt(this::stripe).distinct().sorted().toArray();
        List<ReentrantLock> taken = new ArrayList<>();
        for (int i : indices) {
            stripes[i].lock();
            taken.add(stripes[i]);
        }
        if (acrossNodes == null) {
            return () -> unlockAll(taken);
        }
        Map<String, Integer> mine = entered.get();
        List<String> fresh = credentialIds.stream().distinct().filter(id -> !mine.containsKey(id)).toList();
        Held cluster;
        try {
            cluster = fresh.isEmpty() ? () -> { } : acrossNodes.holdAll(fresh);
        } catch (RuntimeException e) {
            unlockAll(taken);
            throw e;
        }
        List<String> all = credentialIds.stream().distinct().toList();
        all.forEach(id -> mine.merge(id, 1, Integer::sum));
        return () -> {
            try {
                all.forEach(id -> {
                    if (mine.merge(id, -1, Integer::sum) == 0) {
                        mine.remove(id);
                    }
                });
                cluster.close();
            } finally {
                unlockAll(taken);
            }
        };
    }

    /**
     * {@link #lockAll} without waiting, for a holder of other credentials' locks (which must never wait for more while
     * it holds some: two such holders could wait for each other in a circle). Stripes this thread holds already count
     * as free. On a cluster it never succeeds: the locks across nodes cannot be tried without waiting here.
     *
     * @return the locks, or empty when one of them is held by another thread (and then none is taken)
     */
    public Optional<Held> tryLockAll(Collection<String> credentialIds) {
        if (acrossNodes != null) {
            return Optional.empty();
        }
        int[] indices = credentialIds.stream().mapToInt(this::stripe).distinct().sorted().toArray();
        List<ReentrantLock> taken = new ArrayList<>();
        for (int i : indices) {
            if (!stripes[i].tryLock()) {
                unlockAll(taken);
                return Optional.empty();
            }
            taken.add(stripes[i]);
        }
        return Optional.of(() -> unlockAll(taken));
    }

    private int stripe(String credentialId) {
        return Math.floorMod(credentialId.hashCode(), stripes.length);
    }

    private static void unlockAll(List<ReentrantLock> taken) {
        for (int i = taken.size() - 1; i >= 0; i--) {
            taken.get(i).unlock();
        }
    }

    private static void releaseAll(List<Held> held) {
        for (int i = held.size() - 1; i >= 0; i--) {
            held.get(i).close();
        }
    }

    /** Waits until this thread holds {@code credentialId} on this node and, on a cluster, on every node. */
    public Held lock(String credentialId) {
        ReentrantLock local = stripes[stripe(credentialId)];
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
