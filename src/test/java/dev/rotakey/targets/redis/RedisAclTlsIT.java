package dev.rotakey.targets.redis;

import dev.rotakey.core.Secret;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.VersionReferences;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The {@code redis-acl} target over TLS against real TLS-only redis-server processes: a full rotation with mutual TLS,
 * and the refusals that no retry cures (a certificate for another host, an untrusted CA, a missing client certificate,
 * a server that does not speak TLS), each naming the target and never a password.
 */
class RedisAclTlsIT {
    @TempDir
    Path dir;

    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    private <T extends AutoCloseable> T open(T closeable) {
        opened.add(closeable);
        return closeable;
    }

    private RedisPki pki(String name) throws Exception {
        return new RedisPki(Files.createDirectories(dir.resolve(name)), name);
    }

    private Target target(RedisAddress address, RedisPki trusted, boolean clientCertificate) {
        RedisAclTargetFactory f = RedisProbe.factory(address.port());
        f.setHost(address.host());
        f.setTls(trusted.tls(clientCertificate));
        return open(f.build("redis-tls"));
    }

    private static Delivery delivery(TargetBinding b, int version, Secret password) {
        return new Delivery("agent-1", "cred-1", "password", version, b, password);
    }

    private static Revocation revocation(Target t, TargetBinding b, int version, Secret password) {
        return new Revocation("agent-1", "cred-1", "password", version, b, content -> false,
                List.of(t.materialReference(delivery(b, version, password))));
    }

    private static Secret password() {
        return Secret.of("pw-" + UUID.randomUUID().toString().replace("-", ""));
    }

    private static TargetBinding binding(String user) {
        return new TargetBinding("redis-tls", Map.of("user", user));
    }

    @Test
    void aRotationWorksOverMutualTlsAndTheEndpointSaysTls() throws Exception {
        RedisPki pki = pki("ca");
        RedisProcess redis = open(RedisProcess.server(dir, "tls-yes", pki, pki.serverArgs("tls-yes", "yes", RedisPki.LOOPBACK)));
        Target t = target(redis.address(), pki, true);
        TargetBinding b = binding("billing-agent");
        Secret v1 = password();
        Secret v2 = password();

        t.deliver(delivery(b, 1, v1));
        t.verify(delivery(b, 1, v1));
        t.deliver(delivery(b, 2, v2));
        t.verify(delivery(b, 2, v2));
        t.revoke(revocation(t, b, 1, v1));

        assertThat(redis.authenticates("billing-agent", v1.reveal())).isFalse();
        assertThat(redis.authenticates("billing-agent", v2.reveal())).isTrue();
        // The server has an ACL file, so saveAclFile: auto saved it after each change.
        assertThat(Files.readString(dir.resolve("tls-yes.acl"))).contains("user billing-agent on");
        assertThat(t.login(b, "cred-1", new VersionReferences(2, List.of()))).isEqualTo("billing-agent");
        assertThat(t.endpoint(b)).isEqualTo(new Endpoint("redis", "127.0.0.1", redis.port(), null, true));
    }

    @Test
    void aCertificateForAnotherHostIsRefusedForGood() throws Exception {
        RedisPki pki = pki("ca");
        RedisProcess redis = open(RedisProcess.server(dir, "elsewhere", pki,
                pki.serverArgs("elsewhere", "optional", List.of(dev.rotakey.testing.TestPki.dns("other.example")))));
        Target t = target(redis.address(), pki, true);
        TargetBinding b = binding("billing-agent");
        Secret v1 = password();

        for (Runnable op : List.<Runnable>of(() -> t.deliver(delivery(b, 1, v1)), () -> t.verify(delivery(b, 1, v1)),
                () -> t.revoke(revocation(t, b, 1, v1)))) {
            TargetException e = catchThrowableOfType(TargetException.class, op::run);
            assertThat(e.retryable()).as(e.getMessage()).isFalse();
            assertThat(e.getMessage()).contains("redis-tls").contains("TLS certificate of Redis at 127.0.0.1:" + redis.port())
                    .contains("is refused").contains("127.0.0.1").doesNotContain(v1.reveal());
        }
        // Nothing reached the server.
        assertThat(redis.call("ACL", "GETUSER", "billing-agent")).isNull();
    }

    @Test
    void aServerCertificateFromAnotherCaIsRefusedForGood() throws Exception {
        RedisPki ours = pki("ours");
        RedisPki rogue = pki("rogue");
        RedisProcess redis = open(RedisProcess.server(dir, "rogue", rogue, rogue.serverArgs("rogue", "no", RedisPki.LOOPBACK)));
        Target t = target(redis.address(), ours, false);
        TargetException e = catchThrowableOfType(TargetException.class,
                () -> t.deliver(delivery(binding("billing-agent"), 1, password())));
        assertThat(e.retryable()).as(e.getMessage()).isFalse();
        assertThat(e.getMessage()).contains("redis-tls").contains("is refused").contains("PKIX");
    }

    @Test
    void aServerThatRequiresAClientCertificateRefusesATargetWithoutOne() throws Exception {
        RedisPki pki = pki("ca");
        RedisProcess redis = open(RedisProcess.server(dir, "strict", pki, pki.serverArgs("strict", "yes", RedisPki.LOOPBACK)));
        Target t = target(redis.address(), pki, false);
        TargetException e = catchThrowableOfType(TargetException.class,
                () -> t.deliver(delivery(binding("billing-agent"), 1, password())));
        assertThat(e.retryable()).as(e.getMessage()).isFalse();
        assertThat(e.getMessage()).contains("redis-tls").contains("refused the TLS connection");
    }

    @Test
    void aPlainServerIsNotTakenForATlsOne() throws Exception {
        RedisPki pki = pki("ca");
        RedisProcess plain = open(RedisProcess.server(dir, "plain", null, null));
        Target t = target(plain.address(), pki, true);
        Secret v1 = password();
        TargetException e = catchThrowableOfType(TargetException.class,
                () -> t.deliver(delivery(binding("billing-agent"), 1, v1)));
        // Redis takes the ClientHello for the start of a command and waits: it might be a slow server, so retryable.
        assertThat(e.retryable()).as(e.getMessage()).isTrue();
        assertThat(e.getMessage()).contains("no TLS handshake within 2000 ms: does the server speak TLS on this port?")
                .doesNotContain(v1.reveal());
    }

    @Test
    void aTlsServerThatIsDownIsRetryable() throws Exception {
        RedisPki pki = pki("ca");
        Target t = target(new RedisAddress("127.0.0.1", RedisProbe.closedPort()), pki, true);
        TargetException e = catchThrowableOfType(TargetException.class,
                () -> t.verify(delivery(binding("billing-agent"), 1, password())));
        assertThat(e.retryable()).as(e.getMessage()).isTrue();
        assertThat(e.getMessage()).contains("redis-tls").contains("unreachable");
    }
}
