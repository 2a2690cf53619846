package dev.rotakey.targets.redis;

import dev.rotakey.core.PasswordPolicy;
import dev.rotakey.core.Secret;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetContractTest;
import org.junit.jupiter.api.AfterEach;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs the target contract against a {@code redis-acl} target on the machine's real Redis, with
 * password deliveries. Redis never gives a password back, so the suite's read-back assertions stay
 * off and every check goes through {@link Target#verify}, a fresh login.
 */
class RedisAclTargetContractIT extends TargetContractTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final RedisProbe redis = new RedisProbe();
    private final Map<String, String> users = new HashMap<>();

    @Override
    protected Target newTarget() {
        return RedisProbe.factory(RedisProbe.PORT).build("redis-main");
    }

    @Override
    protected TargetBinding binding(String credentialId) {
        String user = users.computeIfAbsent(credentialId, id -> redis.newUser());
        return new TargetBinding("redis-main", Map.of("user", user));
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

    @AfterEach
    void deleteUsers() {
        redis.close();
    }
}
