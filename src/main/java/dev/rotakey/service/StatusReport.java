package dev.rotakey.service;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.cluster.ClusterNodes;
import dev.rotakey.db.Store;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * What {@code GET /api/v1/status} shows: the node answering and the cluster's nodes with their last check-in,
 * whether rotations are paused, credentials and versions by state, recent failures, outstanding removals,
 * consumers overdue with their acknowledgements, alerts firing and the key backends' health, read in one
 * database session.
 */
public final class StatusReport {
    private final Store store;
    private final ClusterNodes nodes;
    private final BooleanSupplier paused;
    private final BooleanSupplier schedulerRunning;
    private final KeyBackends backends;

    /**
     * @param nodes            this node and the others of its cluster
     * @param paused           whether scheduled work is paused (true when that cannot be told)
     * @param schedulerRunning whether the scheduler runs
     */
    public StatusReport(Store store, ClusterNodes nodes, BooleanSupplier paused, BooleanSupplier schedulerRunning,
                        KeyBackends backends) {
        this.store = store;
        this.nodes = nodes;
        this.paused = paused;
        this.schedulerRunning = schedulerRunning;
        this.backends = backends;
    }

    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", nodes.self().instanceId());
        out.put("paused", paused.getAsBoolean());
        out.put("schedulerRunning", schedulerRunning.getAsBoolean());
        store.read(d -> {
            out.put("nodes", nodes.list(d).stream().map(StatusReport::node).toList());
            out.put("credentials", d.credentials().countByStatus());
            out.put("versions", d.versions().countByState());
            out.put("failedRotations", d.rotations().latestFailed(20).stream()
                    .map(r -> Map.of("credential", r.credentialId(), "rotation", r.id(),
                            "error", r.lastError() == null ? "" : r.lastError())).toList());
            out.put("failedRevocations", d.versions().failedRevocations());
            // Credentials whose old version was revoked by maxGracePeriod before these consumers acknowledged.
            out.put("acknowledgementOverdue", d.credentials().acknowledgementsOverdue(100));
            // Alerts firing as of the last evaluation, by alert name (GET /api/v1/alerts lists them).
            Map<String, Integer> alerts = new TreeMap<>();
            d.alerts().firing().forEach(f -> alerts.merge(f.labels().getOrDefault("alertname", f.condition()), 1, Integer::sum));
            out.put("alertsFiring", alerts);
            return out;
        });
        Map<String, Object> b = new LinkedHashMap<>();
        for (KeyBackend k : backends.all()) {
            b.put(k.name(), Map.of("type", k.type(), "healthy", k.status().healthy(), "message", k.status().message()));
        }
        out.put("keyBackends", b);
        return out;
    }

    /** ISO-8601 text for the times; a node that has not checked in (or a single node) has nulls there. */
    private static Map<String, Object> node(ClusterNodes.Node n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("instanceId", n.instanceId());
        m.put("lastCheckin", n.lastCheckin() == null ? null : n.lastCheckin().toString());
        m.put("checkinInterval", n.checkinInterval() == null ? null : n.checkinInterval().toString());
        m.put("self", n.self());
        m.put("healthy", n.healthy());
        return m;
    }
}
