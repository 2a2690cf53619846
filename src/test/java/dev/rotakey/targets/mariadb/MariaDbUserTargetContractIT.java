package dev.rotakey.targets.mariadb;

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
 * Runs the target contract against a {@code mariadb-user} target with the {@code alternating} strategy on the
 * machine's real MariaDB. {@code single} cannot honour the contract's discard and revoke promises (the previous
 * password is gone once a new one is set), which {@link MariaDbUserTargetIT} covers instead.
 */
class MariaDbUserTargetContractIT extends TargetContractTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final MariaDbProbe maria = new MariaDbProbe();
    private final Map<String, String> users = new HashMap<>();

    @Override
    protected Target newTarget() {
        return MariaDbProbe.factory().build("maria-main");
    }

    @Override
    protected TargetBinding binding(String credentialId) {
        String user = users.computeIfAbsent(credentialId, id -> maria.newUser());
        return new TargetBinding("maria-main", Map.of("user", user, "strategy", "alternating"));
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
    void dropUsers() {
        maria.close();
    }
}
