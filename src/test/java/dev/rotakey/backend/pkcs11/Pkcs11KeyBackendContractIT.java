package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendContractTest;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.BeforeAll;

import java.util.List;

/**
 * The key backend contract on a real SoftHSM2 token; offline means a token label no slot carries.
 * Suites of decorators extend it and wrap {@link #newBackend()} and {@link #offlineBackend()}.
 */
public class Pkcs11KeyBackendContractIT extends KeyBackendContractTest {

    @BeforeAll
    static void tokens() {
        SoftHsmTokens.ensure();
    }

    @Override
    protected KeyBackend newBackend() {
        return SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
    }

    @Override
    protected KeyBackend offlineBackend() {
        return SoftHsmTokens.factory("rotakey-no-such-token").build("hsm");
    }

    @Override
    protected void cleanUp(KeyBackend backend, List<String> aliases) {
        aliases.forEach(backend::destroySigningKey);
    }

    @Override
    protected String expectedName() {
        return "hsm";
    }

    @Override
    protected String expectedType() {
        return "pkcs11";
    }

    @Override
    protected List<String> secrets() {
        return List.of(SoftHsmTokens.USER_PIN);
    }
}
