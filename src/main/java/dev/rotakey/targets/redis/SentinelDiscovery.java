package dev.rotakey.targets.redis;

import dev.rotakey.targets.TargetException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Asks Redis Sentinel where a master and its replicas are ({@code SENTINEL get-master-addr-by-name},
 * {@code SENTINEL replicas}). Every Sentinel that answers is asked and their answers are joined, so that one with a
 * stale view after a failover cannot hide a server; replicas Sentinel considers down are kept, since a user missing
 * there would lock consumers out once that replica is promoted.
 */
final class SentinelDiscovery implements AutoCloseable {
    /** How long {@link #master()} waits after a failed look-up before trying again (it serves API reads). */
    private static final long LOOKUP_PAUSE_NANOS = 30_000_000_000L;

    private final RedisConnector connector;
    private final String masterName;
    private final List<RedisAddress> sentinels;
    private final RedisLogin login;
    private volatile RedisAddress lastMaster;
    private volatile long lastLookup;
    private volatile boolean lookedUp;

    /** @param login owned by this object from now on */
    SentinelDiscovery(RedisConnector connector, String masterName, List<RedisAddress> sentinels, RedisLogin login) {
        this.connector = connector;
        this.masterName = masterName;
        this.sentinels = List.copyOf(sentinels);
        this.login = login;
    }

    /**
     * The master (first) and every replica that any answering Sentinel reports.
     *
     * @throws TargetException when no Sentinel answers with the master: retryable unless each one refused
     */
    List<RedisAddress> servers(String action) {
        String ask = action + " (asking Sentinel for master '" + masterName + "')";
        Set<RedisAddress> out = new LinkedHashSet<>();
        List<TargetException> failures = new ArrayList<>();
        RedisAddress master = null;
        for (RedisAddress address : sentinels) {
            RedisServer sentinel = new RedisServer(connector, address, login, RedisAclTarget.SaveAclFile.NEVER,
                    RedisServer.SENTINEL);
            try (RespConnection c = sentinel.admin(ask)) {
                Object reply = sentinel.run(ask, true, () -> c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName));
                if (!(reply instanceof List<?> pair) || pair.size() != 2) {
                    failures.add(new TargetException("target '" + connector.target() + "': cannot " + ask + ": Sentinel at "
                            + address + " does not know master '" + masterName + "'", false));
                    continue;
                }
                RedisAddress reported = address(pair.get(0), pair.get(1), address);
                Object replicas = sentinel.run(ask, true, () -> c.call("SENTINEL", "REPLICAS", masterName));
                out.add(reported);
                out.addAll(replicas(replicas, address));
                if (master == null) {
                    master = reported;
                }
            } catch (TargetException e) {
                failures.add(e);
            }
        }
        if (master == null) {
            throw RedisConnector.combined(connector.target(), failures);
        }
        lastMaster = master;
        // The master first: it is the server consumers use now.
        List<RedisAddress> ordered = new ArrayList<>(List.of(master));
        out.stream().filter(a -> !a.equals(ordered.get(0))).forEach(ordered::add);
        return ordered;
    }

    /**
     * The master as this target last saw it, for the endpoint consumers are told of; looked up now if it never was
     * (at most every 30 s while Sentinel does not answer), null when unknown.
     */
    RedisAddress master() {
        RedisAddress known = lastMaster;
        if (known != null || (lookedUp && System.nanoTime() - lastLookup < LOOKUP_PAUSE_NANOS)) {
            return known;
        }
        lookedUp = true;
        lastLookup = System.nanoTime();
        try {
            return servers("look up the master for the consumers' endpoint").get(0);
        } catch (TargetException e) {
            return null;
        }
    }

    private List<RedisAddress> replicas(Object reply, RedisAddress sentinel) {
        List<RedisAddress> out = new ArrayList<>();
        if (!(reply instanceof List<?> list)) {
            return out;
        }
        for (Object entry : list) {
            if (!(entry instanceof List<?> fields)) {
                continue;
            }
            Object ip = null;
            Object port = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                String key = RespConnection.text(fields.get(i));
                if ("ip".equals(key)) {
                    ip = fields.get(i + 1);
                } else if ("port".equals(key)) {
                    port = fields.get(i + 1);
                }
            }
            out.add(address(ip, port, sentinel));
        }
        return out;
    }

    private RedisAddress address(Object host, Object port, RedisAddress sentinel) {
        try {
            return new RedisAddress(RespConnection.text(host), Integer.parseInt(String.valueOf(RespConnection.text(port))));
        } catch (IllegalArgumentException e) {
            // Retryable: a Sentinel that is still starting may report half an entry.
            throw new TargetException("target '" + connector.target() + "': Sentinel at " + sentinel
                    + " reported an address Rotakey cannot read (" + e.getMessage() + ")", true, e);
        }
    }

    @Override
    public void close() {
        login.close();
    }

    @Override
    public String toString() {
        return "sentinel={masterName=" + masterName + ", nodes=" + sentinels + ", " + login + "}";
    }
}
