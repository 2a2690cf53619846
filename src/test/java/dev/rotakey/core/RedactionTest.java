package dev.rotakey.core;

import dev.rotakey.api.VerifyKeyRequest;
import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.TargetBinding;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every value type that carries secret material prints without it. */
class RedactionTest {
    private static final String KEY = ApiKeyFormat.format(new byte[32]);

    @Test
    void deliveryIssuedMaterialAndVerifyRequestNeverPrintTheKey() {
        Secret secret = Secret.of(KEY);
        Delivery d = new Delivery("agent", "cred", "api-key", 3, new TargetBinding("local-files", Map.of("path", "a/b")), secret);
        IssuedMaterial m = new IssuedMaterial(secret, "00ff", "pkcs11:rotakey/rotakey-hmac-v1");
        assertThat(d.toString()).doesNotContain(KEY).contains("cred").contains("version=3");
        assertThat(m.toString()).doesNotContain(KEY).doesNotContain("00ff");
        assertThat(new VerifyKeyRequest(KEY).toString()).doesNotContain(KEY);
        assertThat(secret.toString()).doesNotContain(KEY);
    }

    @Test
    void certificateMaterialNeverPrintsThePrivateKey() {
        String pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
        CertificateMaterial c = new CertificateMaterial("CERT", "CHAIN", Secret.of(pem), null);
        Delivery d = new Delivery("agent", "cred", "certificate", 1, new TargetBinding("local-files", Map.of("path", "a")),
                Secret.of("CERT"), c);
        IssuedMaterial m = new IssuedMaterial(Secret.of("CERT"), "00ff", "kid", c, null);
        assertThat(c.toString()).doesNotContain("MIGHAgEA").contains("redacted");
        assertThat(d.toString()).doesNotContain("MIGHAgEA");
        assertThat(m.toString()).doesNotContain("MIGHAgEA").doesNotContain("00ff");
        m.destroy();
        assertThat(c.privateKeyPem().isDestroyed()).isTrue();
    }

    @Test
    void passwordDeliveriesAndTheRedisTargetNeverPrintPasswords() throws java.io.IOException {
        String password = "Tr0ub4dor-and-3-more-chars";
        Secret secret = Secret.of(password);
        TargetBinding binding = new TargetBinding("redis-main", Map.of("user", "billing-agent"));
        Delivery d = new Delivery("agent", "cred", "password", 2, binding, secret);
        IssuedMaterial m = new IssuedMaterial(secret, "00ff", "kid");
        dev.rotakey.targets.Revocation r = new dev.rotakey.targets.Revocation("agent", "cred", "password", 1, binding,
                content -> false, java.util.List.of("1a2b3c4d"));
        java.nio.file.Path adminPassword = java.nio.file.Files.createTempFile("redis-admin", ".txt");
        java.nio.file.Path sentinelPassword = java.nio.file.Files.createTempFile("redis-sentinel", ".txt");
        java.nio.file.Files.writeString(adminPassword, "admin-secret-pw\n");
        java.nio.file.Files.writeString(sentinelPassword, "sentinel-secret-pw\n");
        dev.rotakey.targets.redis.RedisAclTargetFactory built = new dev.rotakey.targets.redis.RedisAclTargetFactory();
        built.setNodes(java.util.List.of("127.0.0.1:6379", "[::1]:6380"));
        built.setUsername("rotakey");
        built.setPassword(dev.rotakey.config.SecretSource.fromFile(adminPassword.toString()));
        dev.rotakey.targets.redis.RedisSentinelFactory sentinel = new dev.rotakey.targets.redis.RedisSentinelFactory();
        sentinel.setMasterName("main");
        sentinel.setNodes(java.util.List.of("127.0.0.1"));
        sentinel.setPassword(dev.rotakey.config.SecretSource.fromFile(sentinelPassword.toString()));
        built.setSentinel(sentinel);
        dev.rotakey.targets.Target target = built.build("redis-main");
        java.nio.file.Files.delete(adminPassword);
        java.nio.file.Files.delete(sentinelPassword);
        dev.rotakey.targets.redis.RedisAclTargetFactory factory = new dev.rotakey.targets.redis.RedisAclTargetFactory();
        factory.setHost("127.0.0.1");
        factory.setPassword(dev.rotakey.config.SecretSource.fromEnv("ROTAKEY_REDIS_PASSWORD"));
        assertThat(d.toString()).doesNotContain(password).contains("version=2");
        assertThat(m.toString()).doesNotContain(password);
        assertThat(r.toString()).doesNotContain(password);
        assertThat(target.toString()).doesNotContain("admin-secret-pw").doesNotContain("sentinel-secret-pw")
                .contains("[redacted]").contains("[::1]:6380");
        assertThat(factory.toString()).contains("ROTAKEY_REDIS_PASSWORD");
        target.close();
    }
}
