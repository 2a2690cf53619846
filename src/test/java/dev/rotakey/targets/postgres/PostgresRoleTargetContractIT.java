package dev.rotakey.targets.postgres;

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
 * Runs the target contract against a {@code postgres-role} target with the {@code alternating} strategy on the
 * machine's real PostgreSQL. {@code single} cannot honour the contract's discard and revoke promises (the
 * previous password is gone once a new one is set), which {@link PostgresRoleTargetIT} covers instead.
 */
class PostgresRoleTargetContractIT extends TargetContractTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final PostgresProbe postgres = new PostgresProbe();
    private final Map<String, String> roles = new HashMap<>();

    @Override
    protected Target newTarget() {
        return PostgresProbe.factory().build("pg-main");
    }

    @Override
    protected TargetBinding binding(String credentialId) {
        String role = roles.computeIfAbsent(credentialId, id -> postgres.newRole());
        return new TargetBinding("pg-main", Map.of("role", role, "strategy", "alternating"));
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
    void dropRoles() {
        postgres.close();
    }
}
