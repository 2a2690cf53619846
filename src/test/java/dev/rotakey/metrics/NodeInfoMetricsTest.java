package dev.rotakey.metrics;

import dev.rotakey.cluster.NodeIdentity;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The node's info series: one, set to 1, naming the node and whether it is clustered. */
class NodeInfoMetricsTest {
    @Test
    void oneSeriesNamesTheNodeAndWhetherItIsClustered() {
        PrometheusRegistry registry = new PrometheusRegistry();
        NodeInfoMetrics.register(registry, new NodeIdentity("node-b", true));
        Samples s = Samples.of(registry);
        assertThat(s.matching("rotakey_node_info")).hasSize(1);
        assertThat(s.value("rotakey_node_info", "node", "node-b", "clustered", "true")).isEqualTo(1);
        assertThat(s.text()).contains("rotakey_node_info{clustered=\"true\",node=\"node-b\"} 1");
    }

    @Test
    void aSingleNodeSaysItIsNotClustered() {
        PrometheusRegistry registry = new PrometheusRegistry();
        NodeInfoMetrics.register(registry, NodeIdentity.single("solo"));
        assertThat(Samples.of(registry).value("rotakey_node_info", "node", "solo", "clustered", "false")).isEqualTo(1);
    }
}
