package dev.rotakey.targets.redis;

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
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The {@code redis-acl} target on a primary with a read-only replica (real redis-server processes, {@code nodes:}):
 * Redis does not replicate ACL users, so each rotation must reach both, and the replica, once promoted, must take the
 * new password. A replica that is down holds a rotation back (retryable) and a removal is finished when it returns.
 */
class RedisAclReplicationIT {
    @TempDir
    Path dir;

    private RedisProcess primary;
    private RedisProcess replica;
    private Target target;

    @BeforeEach
    void start() {
        primary = RedisProcess.server(dir, "primary", null, null);
        replica = RedisProcess.replica(dir, "replica", null, null, primary);
        RedisAclTargetFactory f = RedisProbe.factory(RedisAclTargetFactory.DEFAULT_PORT);
        f.setHost(null);
        f.setNodes(List.of(primary.address().toString(), replica.address().toString()));
        target = f.build("redis-ha");
    }

    @AfterEach
    void stop() {
        target.close();
        replica.close();
        primary.close();
    }

    private static Delivery delivery(TargetBinding b, int version, Secret password) {
        return new Delivery("agent-1", "cred-1", "password", version, b, password);
    }

    private Revocation revocation(TargetBinding b, int version, Secret password) {
        return new Revocation("agent-1", "cred-1", "password", version, b, content -> false,
                List.of(target.materialReference(delivery(b, version, password))));
    }

    private static Secret password() {
        return Secret.of("pw-" + UUID.randomUUID().toString().replace("-", ""));
    }

    private static final TargetBinding BINDING = new TargetBinding("redis-ha", Map.of("user", "billing-agent", "rules", "+ping"));

    @Test
    void aRotationReachesEveryNodeAndThePromotedReplicaTakesTheNewPassword() throws Exception {
        // The replica refuses writes, yet takes ACL SETUSER and ACL SAVE: they are not write commands.
        assertThatThrownBy(() -> replica.call("SET", "k", "v")).hasMessageContaining("READONLY");
        Secret v1 = password();
        Secret v2 = password();
        target.deliver(delivery(BINDING, 1, v1));
        target.verify(delivery(BINDING, 1, v1));
        target.deliver(delivery(BINDING, 2, v2));
        target.verify(delivery(BINDING, 2, v2));
        target.revoke(revocation(BINDING, 1, v1));

        for (RedisProcess node : List.of(primary, replica)) {
            assertThat(node.authenticates("billing-agent", v2.reveal())).as(node.toString()).isTrue();
            assertThat(node.authenticates("billing-agent", v1.reveal())).as(node.toString()).isFalse();
        }
        assertThat(Files.readString(dir.resolve("replica.acl"))).contains("user billing-agent on");
        assertThat(target.endpoint(BINDING)).isEqualTo(new Endpoint("redis", "127.0.0.1", primary.port(), null, false));

        // A failover: the replica becomes the primary and consumers log in there with the current password.
        primary.stop();
        replica.call("REPLICAOF", "NO", "ONE");
        replica.call("SET", "k", "v");
        assertThat(replica.authenticates("billing-agent", v2.reveal())).isTrue();
        assertThat(replica.authenticates("billing-agent", v1.reveal())).isFalse();
    }

    @Test
    void aReplicaThatIsDownHoldsTheRotationBackAndTheRemovalIsFinishedWhenItReturns() {
        Secret v1 = password();
        Secret v2 = password();
        target.deliver(delivery(BINDING, 1, v1));
        replica.stop();

        // Promoting v2 now would lock consumers out of the replica once it is back and promoted: retry instead.
        for (Runnable op : List.<Runnable>of(() -> target.deliver(delivery(BINDING, 2, v2)),
                () -> target.verify(delivery(BINDING, 2, v2)))) {
            TargetException e = catchThrowableOfType(TargetException.class, op::run);
            assertThat(e.retryable()).as(e.getMessage()).isTrue();
            assertThat(e.getMessage()).contains("redis-ha").contains("Redis at " + replica.address() + " is unreachable")
                    .doesNotContain(v1.reveal()).doesNotContain(v2.reveal());
        }
        assertThat(primary.authenticates("billing-agent", v2.reveal())).isTrue();

        // The failed rotation is cleaned up: the reachable primary at once, the replica on a later retry.
        TargetException e = catchThrowableOfType(TargetException.class, () -> target.discard(revocation(BINDING, 2, v2)));
        assertThat(e.retryable()).as(e.getMessage()).isTrue();
        assertThat(primary.authenticates("billing-agent", v2.reveal())).isFalse();
        assertThat(primary.authenticates("billing-agent", v1.reveal())).isTrue();

        replica.start();
        replica.awaitReplicaLinkUp();
        target.discard(revocation(BINDING, 2, v2));
        // v1 came back from the replica's ACL file, saved when it was delivered.
        target.verify(delivery(BINDING, 1, v1));
        assertThat(replica.authenticates("billing-agent", v2.reveal())).isFalse();
    }

    @Test
    void aRefusalOnOneNodeIsNotRetryableEvenWhenAnotherIsMerelyDown() {
        Secret v1 = password();
        target.deliver(delivery(BINDING, 1, v1));
        replica.stop();
        // The admin connection (the default user here) loses its ACL rights on the primary: an operator must act.
        primary.call("ACL", "SETUSER", "default", "-acl");
        TargetException e = catchThrowableOfType(TargetException.class, () -> target.revoke(revocation(BINDING, 1, v1)));
        assertThat(e.retryable()).as(e.getMessage()).isFalse();
        assertThat(e.getMessage()).startsWith("target 'redis-ha': 2 servers failed: ").contains("NOPERM")
                .contains("the admin connection lacks the permission").contains("unreachable");
    }
}
