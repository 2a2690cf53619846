package dev.rotakey.targets.redis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The Redis servers a redis-acl target sets its users on: the configured ones and, with Sentinel, the master and
 * every replica Sentinel reports, asked afresh for each operation. Redis does not replicate ACL users, so each server
 * that may serve consumers, now or after a failover, needs the user and its passwords itself.
 */
final class RedisTopology implements AutoCloseable {
    private final RedisConnector connector;
    private final List<RedisAddress> nodes;
    private final SentinelDiscovery sentinel;
    private final RedisLogin admin;
    private final RedisAclTarget.SaveAclFile save;

    /**
     * @param nodes    the configured servers (possibly none when {@code sentinel} is set)
     * @param sentinel null without Sentinel; owned by this object from now on
     * @param admin    the administrative login on every server; owned by this object from now on
     */
    RedisTopology(RedisConnector connector, List<RedisAddress> nodes, SentinelDiscovery sentinel, RedisLogin admin,
                  RedisAclTarget.SaveAclFile save) {
        if (nodes.isEmpty() && sentinel == null) {
            throw new IllegalArgumentException("a redis-acl target needs at least one server or a Sentinel");
        }
        this.connector = connector;
        this.nodes = List.copyOf(nodes);
        this.sentinel = sentinel;
        this.admin = admin;
        this.save = save;
    }

    /** Every server the operation described by {@code action} must reach, without duplicates. */
    List<RedisServer> servers(String action) {
        Set<RedisAddress> addresses = new LinkedHashSet<>();
        if (sentinel != null) {
            addresses.addAll(sentinel.servers(action));
        }
        addresses.addAll(nodes);
        List<RedisServer> out = new ArrayList<>();
        for (RedisAddress a : addresses) {
            out.add(new RedisServer(connector, a, admin, save, RedisServer.REDIS));
        }
        return out;
    }

    /** The server consumers are told to use: Sentinel's master as last seen, else the first configured server. */
    RedisAddress primary() {
        RedisAddress master = sentinel == null ? null : sentinel.master();
        return master != null || nodes.isEmpty() ? master : nodes.get(0);
    }

    boolean tls() {
        return connector.tls();
    }

    @Override
    public void close() {
        admin.close();
        if (sentinel != null) {
            sentinel.close();
        }
    }

    @Override
    public String toString() {
        return "nodes=" + nodes + (sentinel == null ? "" : ", " + sentinel) + ", admin={" + admin + "}, " + connector
                + ", saveAclFile=" + save.name().toLowerCase(java.util.Locale.ROOT);
    }
}
