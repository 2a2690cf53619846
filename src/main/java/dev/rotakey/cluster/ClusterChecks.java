package dev.rotakey.cluster;

import dev.rotakey.StartupException;
import dev.rotakey.targets.TargetFactory;

import java.util.Map;

/**
 * What a clustered start refuses, naming the config key: a database the nodes cannot share (H2 is embedded in
 * one process), and a node-local target (files written on whichever node rotates) not declared as shared storage.
 */
public final class ClusterChecks {
    private ClusterChecks() {
    }

    /** @throws StartupException when {@code scheduler.clustered} is set on a configuration a cluster cannot run */
    public static void check(NodeIdentity node, String databaseUrl, Map<String, TargetFactory> targets) {
        if (!node.clustered()) {
            return;
        }
        if (databaseUrl == null || !databaseUrl.startsWith("jdbc:postgresql:")) {
            throw new StartupException("scheduler.clustered: a cluster's nodes share one PostgreSQL database, but "
                    + "database.url is not PostgreSQL (an H2 database belongs to one process)");
        }
        for (Map.Entry<String, TargetFactory> t : targets.entrySet()) {
            if (t.getValue().nodeLocal()) {
                throw new StartupException("targets." + t.getKey() + ": a clustered node writes this target's files "
                        + "only on the node that runs the rotation; put the directory on storage every node and "
                        + "consumer shares and set targets." + t.getKey() + ".shared: true, or use a target every "
                        + "node reaches (docs/targets.md)");
            }
        }
    }
}
