package dev.rotakey.faults;

import dev.rotakey.targets.mariadb.MariaDbProbe;
import dev.rotakey.targets.postgres.PostgresProbe;
import dev.rotakey.targets.redis.RedisProbe;
import dev.rotakey.testing.VaultTestServer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one fault-model test class runs against: the real daemon, the real PostgreSQL, MariaDB and Redis, the
 * webhook consumer and the Vault double, each behind a fault proxy, and the fault switches of the local-files
 * target and the SoftHSM2 backend.
 */
final class FaultWorld implements AutoCloseable {
    final ConsumerHook hook;
    final VaultTestServer vault;
    final FaultDaemon daemon;
    final TargetProbe probe;
    private final Map<Peer, FaultProxy> proxies = new EnumMap<>(Peer.class);
    private final Map<Peer, FaultProxy.Fault> active = new EnumMap<>(Peer.class);
    /** When a key backend's fault was last seen in force: an offline backend is tried again within 2 s of recovery. */
    private volatile java.time.Instant backendFaultSeen = java.time.Instant.MIN;
    private final FailingTarget.Switch files = new FailingTarget.Switch();
    private final FailingKeyBackend.Switch hsm = new FailingKeyBackend.Switch();

    FaultWorld(Path dir) throws IOException {
        // The JDK's HTTP server (the consumer webhook, the Vault double) leaves Nagle on unless told otherwise: with
        // delayed ACKs its answers then took up to 40 ms longer than a real Vault's or webhook's. Read once, when
        // the first server of the JVM starts.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        // A fixed shared secret: the consumer is a test peer, and the secret's strength is not under test.
        byte[] secret = "fault-model-webhook-secret-0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(dir);
        Path hookSecret = dir.resolve("hook.key");
        Files.write(hookSecret, secret);
        hook = new ConsumerHook(secret);
        vault = VaultTestServer.start();
        vault.enableAppRole("rotakey", "s3cret-id", Duration.ofHours(1), true, Duration.ofHours(24));
        Path secretId = dir.resolve("vault-secret-id");
        Files.writeString(secretId, "s3cret-id\n");
        int vaultPort = Integer.parseInt(vault.address().substring(vault.address().lastIndexOf(':') + 1));
        proxies.put(Peer.HOOK, new FaultProxy("hook", hook.port()));
        proxies.put(Peer.POSTGRES, new FaultProxy("postgres", 5432));
        proxies.put(Peer.REDIS, new FaultProxy("redis", 6379));
        proxies.put(Peer.MARIADB, new FaultProxy("mariadb", 3306));
        proxies.put(Peer.VAULT_KV, new FaultProxy("vault-kv", vaultPort));
        proxies.put(Peer.VAULT_TRANSIT, new FaultProxy("vault-transit", vaultPort));
        daemon = new FaultDaemon(dir, new FaultDaemon.Peers(proxies.get(Peer.HOOK).port(), proxies.get(Peer.POSTGRES).port(),
                proxies.get(Peer.REDIS).port(), proxies.get(Peer.MARIADB).port(), proxies.get(Peer.VAULT_KV).port(), proxies.get(Peer.VAULT_TRANSIT).port(),
                hookSecret, secretId), files, hsm);
        probe = new TargetProbe(daemon.delivered(), vault.address(), vault.rootToken(), hook);
    }

    void inject(Peer peer, FaultProxy.Fault fault) {
        inject(peer, fault, 0);
    }

    /** Injects a fault; on a proxied peer with {@code connections > 0}, for that many connections only. */
    void inject(Peer peer, FaultProxy.Fault fault, int connections) {
        if (isBackend(peer) && (fault != FaultProxy.Fault.NONE || active.containsKey(peer))) {
            backendFaultSeen = java.time.Instant.now();
        }
        if (fault == FaultProxy.Fault.NONE) {
            active.remove(peer);
        } else {
            active.put(peer, fault);
        }
        switch (peer) {
            case FILES -> files.set(fault != FaultProxy.Fault.NONE);
            case HSM -> hsm.set(fault != FaultProxy.Fault.NONE);
            default -> proxies.get(peer).set(fault, connections > 0 ? connections : -1);
        }
    }

    void healAll() {
        for (Peer p : Peer.values()) {
            inject(p, FaultProxy.Fault.NONE);
        }
    }

    /** The faults in force now (a transient one ends by itself). */
    Map<Peer, FaultProxy.Fault> activeFaults() {
        if (active.keySet().stream().anyMatch(FaultWorld::isBackend)) {
            backendFaultSeen = java.time.Instant.now();
        }
        active.keySet().removeIf(p -> p.proxied() && proxies.get(p).fault() == FaultProxy.Fault.NONE);
        return Map.copyOf(active);
    }

    /**
     * Whether a key backend was faulty within {@code window}: a backend that went offline (a refused login)
     * connects again at the first operation at least 2 s after its last attempt, so a 503 just after the fault
     * ended is the documented answer, not a defect.
     */
    boolean backendRecentlyFaulty(Duration window) {
        activeFaults();
        return backendFaultSeen.plus(window).isAfter(java.time.Instant.now());
    }

    private static boolean isBackend(Peer p) {
        return p == Peer.VAULT_TRANSIT || p == Peer.HSM;
    }

    /** Drops the PostgreSQL roles and MariaDB users and roles that sequences with this prefix created. */
    void dropTargetObjects(String prefix) {
        String like = ("fm_" + prefix).replace('-', '_');
        try {
            MariaDbProbe.dropAllStartingWith(like);
        } catch (IllegalStateException e) {
            // left-over users are harmless: every run uses fresh names
        }
        try (Connection c = DriverManager.getConnection(PostgresProbe.URL, "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DO $$ DECLARE r record; BEGIN FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE '"
                    + like + "%' LOOP EXECUTE format('DROP ROLE %I', r.rolname); END LOOP; END $$");
        } catch (SQLException e) {
            // left-over roles are harmless: every run uses fresh names
        }
    }

    /** Drops what the runs left in the shared Redis and MariaDB servers, PostgreSQL cluster and SoftHSM2 token. */
    void dropRunObjects() {
        dropTargetObjects("s");
        Object users = RedisProbe.call("ACL", "USERS");
        if (users instanceof List<?> names) {
            for (Object n : names) {
                String name = n instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(n);
                if (name.startsWith("fm-s")) {
                    RedisProbe.call("ACL", "DELUSER", name);
                }
            }
        }
        // Only the fault model's own credentials (s<seed>r<run>-c<n>): the token is shared with other tests.
        HsmObjects.deleteLeafKeys(java.util.regex.Pattern.compile("rotakey-leaf-s\\d+r\\d+-c\\d+-.*"));
    }

    @Override
    public void close() {
        healAll();
        daemon.close();
        dropRunObjects();
        probe.close();
        proxies.values().forEach(FaultProxy::close);
        vault.close();
        hook.close();
    }
}
