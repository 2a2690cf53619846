package dev.rotakey.targets.redis;

import dev.rotakey.config.SecretSource;
import dev.rotakey.core.Secret;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The {@code redis-acl} target with {@code sentinel:} against a real primary, replica and Sentinel: the user goes to
 * the master and every replica Sentinel reports, so that after a failover the promoted replica takes the current
 * password, and the next rotation follows the new topology.
 */
class RedisAclSentinelIT {
    private static final String MASTER = "rk-main";
    private static final TargetBinding BINDING = new TargetBinding("redis-sentinel", Map.of("user", "billing-agent"));

    @TempDir
    Path dir;

    private RedisProcess primary;
    private RedisProcess replica;
    private RedisProcess sentinel;
    private Target target;

    @BeforeEach
    void start() throws Exception {
        primary = RedisProcess.server(dir, "primary", null, null);
        replica = RedisProcess.replica(dir, "replica", null, null, primary);
        sentinel = RedisProcess.sentinel(dir, "sentinel", MASTER, primary, null, null);
        // Sentinel learns of the replica from the primary's INFO.
        await("Sentinel sees the replica").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> sentinel.callText("SENTINEL", "REPLICAS", MASTER).contains("port, " + replica.port() + ","));
        // The first Sentinel listed is down: the next one answers.
        target = target(MASTER, "127.0.0.1:" + RedisProbe.closedPort(), sentinel.address().toString());
    }

    private static Target target(String master, String... sentinels) {
        return target(master, null, List.of(sentinels));
    }

    private static Target target(String master, RedisSentinelFactory login, List<String> sentinels) {
        RedisAclTargetFactory f = RedisProbe.factory(RedisAclTargetFactory.DEFAULT_PORT);
        f.setHost(null);
        RedisSentinelFactory s = login == null ? new RedisSentinelFactory() : login;
        s.setMasterName(master);
        s.setNodes(sentinels);
        f.setSentinel(s);
        return f.build("redis-sentinel");
    }

    @AfterEach
    void stop() {
        target.close();
        sentinel.close();
        replica.close();
        primary.close();
    }

    private static Delivery delivery(int version, Secret password) {
        return new Delivery("agent-1", "cred-1", "password", version, BINDING, password);
    }

    private Revocation revocation(int version, Secret password) {
        return new Revocation("agent-1", "cred-1", "password", version, BINDING, content -> false,
                List.of(target.materialReference(delivery(version, password))));
    }

    private static Secret password() {
        return Secret.of("pw-" + UUID.randomUUID().toString().replace("-", ""));
    }

    @Test
    void theUserIsOnTheReplicaSentinelReportsAndSurvivesAFailover() {
        Secret v1 = password();
        target.deliver(delivery(1, v1));
        target.verify(delivery(1, v1));
        assertThat(primary.authenticates("billing-agent", v1.reveal())).isTrue();
        assertThat(replica.authenticates("billing-agent", v1.reveal())).isTrue();
        assertThat(target.endpoint(BINDING)).isEqualTo(new Endpoint("redis", "127.0.0.1", primary.port(), null, false));

        String replicaPort = Integer.toString(replica.port());
        await("failover to the replica").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions() // FAILOVER answers INPROG while one runs, NOGOODSLAVE until Sentinel trusts the replica
                .until(() -> {
                    List<?> master = (List<?>) sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER);
                    if (RespConnection.text(master.get(1)).equals(replicaPort)) {
                        return true;
                    }
                    sentinel.call("SENTINEL", "FAILOVER", MASTER);
                    return false;
                });
        await("the replica promoted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> RespConnection.text(((List<?>) replica.call("ROLE")).get(0)).equals("master"));
        assertThat(replica.authenticates("billing-agent", v1.reveal())).isTrue();

        // The next rotation goes to the new master and to the old one, now a replica.
        Secret v2 = password();
        target.deliver(delivery(2, v2));
        target.verify(delivery(2, v2));
        target.revoke(revocation(1, v1));
        for (RedisProcess node : List.of(primary, replica)) {
            assertThat(node.authenticates("billing-agent", v2.reveal())).as(node.toString()).isTrue();
            assertThat(node.authenticates("billing-agent", v1.reveal())).as(node.toString()).isFalse();
        }
        assertThat(target.endpoint(BINDING)).isEqualTo(new Endpoint("redis", "127.0.0.1", replica.port(), null, false));
    }

    @Test
    void aReplicaSentinelReportsDownHoldsTheRotationBack() {
        replica.stop();
        Secret v1 = password();
        TargetException e = catchThrowableOfType(TargetException.class, () -> target.deliver(delivery(1, v1)));
        assertThat(e.retryable()).as(e.getMessage()).isTrue();
        assertThat(e.getMessage()).contains("Redis at " + replica.address() + " is unreachable");
        assertThat(primary.authenticates("billing-agent", v1.reveal())).isTrue();
    }

    @Test
    void withoutAnAnsweringSentinelNothingHappensAndARetryMayPass() throws Exception {
        try (Target lost = target(MASTER, "127.0.0.1:" + RedisProbe.closedPort())) {
            Secret v1 = password();
            TargetException e = catchThrowableOfType(TargetException.class, () -> lost.deliver(delivery(1, v1)));
            assertThat(e.retryable()).as(e.getMessage()).isTrue();
            assertThat(e.getMessage()).contains("asking Sentinel for master 'rk-main'").contains("unreachable");
            assertThat(lost.endpoint(BINDING)).isNull();
        }
        try (Target unknown = target("no-such-master", sentinel.address().toString())) {
            TargetException e = catchThrowableOfType(TargetException.class, () -> unknown.verify(delivery(1, password())));
            assertThat(e.retryable()).as(e.getMessage()).isFalse();
            assertThat(e.getMessage()).contains("does not know master 'no-such-master'");
        }
    }

    @Test
    void sentinelTakesALoginOfItsOwnWithTwoSubcommandsOnly() throws Exception {
        String secret = "sentinel-" + UUID.randomUUID();
        sentinel.call("ACL", "SETUSER", "rotakey-sentinel", "on", ">" + secret,
                "+sentinel|get-master-addr-by-name", "+sentinel|replicas");
        Path file = Files.writeString(dir.resolve("sentinel-password"), secret + "\n");
        RedisSentinelFactory login = new RedisSentinelFactory();
        login.setUsername("rotakey-sentinel");
        login.setPassword(SecretSource.fromFile(file.toString()));
        Secret v1 = password();
        try (Target t = target(MASTER, login, List.of(sentinel.address().toString()))) {
            t.deliver(delivery(1, v1));
            t.verify(delivery(1, v1));
            assertThat(t.toString()).doesNotContain(secret);
        }

        Files.writeString(file, "not-" + secret + "\n");
        try (Target t = target(MASTER, login, List.of(sentinel.address().toString()))) {
            TargetException e = catchThrowableOfType(TargetException.class, () -> t.verify(delivery(1, v1)));
            assertThat(e.retryable()).as(e.getMessage()).isFalse();
            assertThat(e.getMessage()).contains("Sentinel at " + sentinel.address() + " refused the admin login of user "
                    + "'rotakey-sentinel' (WRONGPASS)").doesNotContain(secret);
        }
    }

    @Test
    void overTlsTheSentinelsAndTheServersAreReachedWithTheSameTlsBlock() throws Exception {
        Path tlsDir = Files.createDirectories(dir.resolve("tls"));
        RedisPki pki = new RedisPki(tlsDir, "Redis Sentinel CA");
        try (RedisProcess tlsPrimary = RedisProcess.server(tlsDir, "primary", pki, pki.serverArgs("primary", "yes", RedisPki.LOOPBACK));
             RedisProcess tlsReplica = RedisProcess.replica(tlsDir, "replica", pki, pki.serverArgs("replica", "yes",
                     RedisPki.LOOPBACK), tlsPrimary);
             RedisProcess tlsSentinel = RedisProcess.sentinel(tlsDir, "sentinel", MASTER, tlsPrimary, pki,
                     pki.serverArgs("sentinel", "yes", RedisPki.LOOPBACK))) {
            await("Sentinel sees the replica over TLS").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> tlsSentinel.callText("SENTINEL", "REPLICAS", MASTER).contains("port, " + tlsReplica.port() + ","));
            RedisAclTargetFactory f = RedisProbe.factory(RedisAclTargetFactory.DEFAULT_PORT);
            f.setHost(null);
            RedisSentinelFactory s = new RedisSentinelFactory();
            s.setMasterName(MASTER);
            s.setNodes(List.of(tlsSentinel.address().toString()));
            f.setSentinel(s);
            f.setTls(pki.tls(true));
            try (Target t = f.build("redis-sentinel")) {
                Secret v1 = password();
                t.deliver(delivery(1, v1));
                t.verify(delivery(1, v1));
                assertThat(tlsReplica.authenticates("billing-agent", v1.reveal())).isTrue();
                assertThat(t.endpoint(BINDING)).isEqualTo(new Endpoint("redis", "127.0.0.1", tlsPrimary.port(), null, true));
            }
        }
    }
}
