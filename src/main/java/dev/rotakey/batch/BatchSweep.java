package dev.rotakey.batch;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.cluster.ClusterNodes;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Hands RUNNING batches that no thread works to this node's {@link BatchRunner}: at start-up, the batches this node
 * was working when it stopped; then every check-in interval, those its queues had no room for and, on a cluster,
 * those of a node that stopped checking in (taken over with a new claim, so that of two nodes one wins). A single
 * node works every RUNNING batch, whichever name it had.
 */
public final class BatchSweep implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchSweep.class);
    private static final int LIMIT = 1_000;

    private final Store store;
    private final BatchRunner runner;
    private final NodeIdentity node;
    private final ClusterNodes nodes;
    private final AuditLog audit;
    private final Clock clock;

    public BatchSweep(Store store, BatchRunner runner, NodeIdentity node, ClusterNodes nodes, AuditLog audit, Clock clock) {
        this.store = store;
        this.runner = runner;
        this.node = node;
        this.nodes = nodes;
        this.audit = audit;
        this.clock = clock;
    }

    @Override
    public void run() {
        List<Batch> running = store.read(d -> d.batches().running(LIMIT)).stream()
                .filter(b -> !runner.active(b.id())).toList();
        if (running.isEmpty()) {
            return;
        }
        Set<String> alive = node.clustered() ? store.read(d -> nodes.list(d).stream()
                .filter(ClusterNodes.Node::healthy).map(ClusterNodes.Node::instanceId).collect(Collectors.toSet()))
                : Set.of();
        for (Batch b : running) {
            boolean mine = !node.clustered() || b.node().equals(node.instanceId());
            if (mine || !alive.contains(b.node())) {
                takeAndSubmit(b, mine);
            }
        }
    }

    private void takeAndSubmit(Batch b, boolean mine) {
        String claim = UUID.randomUUID().toString();
        boolean taken = store.tx(tx -> {
            if (!tx.batches().claim(b.id(), b.claim(), node.instanceId(), claim, clock.instant())) {
                return false;
            }
            if (!mine) {
                audit.record(tx, "rotakey", AuditAction.BATCH_TAKEN_OVER, b.subject(), "ok", "batch=" + b.id()
                        + " from node " + b.node() + ", which stopped checking in");
            }
            return true;
        });
        if (!taken) {
            return;
        }
        if (!mine) {
            LOG.warn("taking over batch {} ({} {}) from node {}, which stopped checking in", b.id(), b.kind().wireName(),
                    b.subject(), b.node());
        }
        runner.submit(b.claimedBy(node.instanceId(), claim));
    }
}
