package dev.rotakey.metrics;

import dev.rotakey.cluster.NodeIdentity;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code rotakey_node_info{node, clustered} 1}: which node a scrape came from, so that a query can join any of
 * Rotakey's series to its node ({@code * on(instance) group_left(node) rotakey_node_info}) and count the nodes up.
 */
public final class NodeInfoMetrics {
    private NodeInfoMetrics() {
    }

    /** Registers the one series of {@code node} with {@code registry}. */
    public static void register(PrometheusRegistry registry, NodeIdentity node) {
        Info.builder().name("rotakey_node_info")
                .help("This node: its scheduler.instanceId, and whether it is one node of a cluster")
                .labelNames("node", "clustered").register(registry)
                .setLabelValues(node.instanceId(), Boolean.toString(node.clustered()));
    }
}
