package dev.rotakey.targets.redis;

import dev.rotakey.core.PasswordPolicy;
import dev.rotakey.core.Secret;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Runs the target contract against a {@code redis-acl} target on a TLS-only primary and its replica (real
 * redis-server processes that require Rotakey's client certificate): verify logs in on both, so every expectation of
 * the contract holds on each server.
 */
class RedisAclReplicatedTlsContractIT extends TargetContractTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path dir;
    private static RedisPki pki;
    private static RedisProcess primary;
    private static RedisProcess replica;

    private final Map<String, String> users = new HashMap<>();

    @BeforeAll
    static void startServers() {
        pki = new RedisPki(dir, "Redis Contract CA");
        primary = RedisProcess.server(dir, "primary", pki, pki.serverArgs("primary", "yes", RedisPki.LOOPBACK));
        replica = RedisProcess.replica(dir, "replica", pki, pki.serverArgs("replica", "yes", RedisPki.LOOPBACK), primary);
    }

    @AfterAll
    static void stopServers() {
        if (replica != null) {
            replica.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Override
    protected Target newTarget() {
        RedisAclTargetFactory f = RedisProbe.factory(RedisAclTargetFactory.DEFAULT_PORT);
        f.setHost(null);
        f.setNodes(List.of(primary.address().toString(), replica.address().toString()));
        f.setTls(pki.tls(true));
        return f.build("redis-ha");
    }

    @Override
    protected TargetBinding binding(String credentialId) {
        String user = users.computeIfAbsent(credentialId, id -> "rk-test-" + UUID.randomUUID().toString().substring(0, 8));
        return new TargetBinding("redis-ha", Map.of("user", user));
    }

    @Override
    protected Secret newMaterial() {
        char[] password = new char[PasswordPolicy.DEFAULT_LENGTH];
        for (int i = 0; i < password.length; i++) {
            password[i] = PasswordPolicy.DEFAULT_ALPHABET.charAt(RANDOM.nextInt(PasswordPolicy.DEFAULT_ALPHABET.length()));
        }
        return Secret.wrap(password);
    }

    @Override
    protected String credentialType() {
        return "password";
    }
}
