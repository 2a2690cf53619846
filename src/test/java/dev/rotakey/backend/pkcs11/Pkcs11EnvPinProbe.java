package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.config.SecretSource;
import dev.rotakey.testing.SoftHsmTokens;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Run in a child JVM by {@link Pkcs11KeyBackendPinTest}: starts a backend whose PIN comes from an
 * environment variable, which a running JVM cannot set for itself, and prints its status and one
 * HMAC. Arguments: token label, variable name, HMAC input.
 */
final class Pkcs11EnvPinProbe {
    private Pkcs11EnvPinProbe() {
    }

    public static void main(String[] args) {
        Pkcs11KeyBackendFactory factory = SoftHsmTokens.factory(args[0]);
        factory.setPin(SecretSource.fromEnv(args[1]));
        try (KeyBackend backend = factory.build("env")) {
            backend.start();
            System.out.println("healthy=" + backend.status().healthy());
            if (backend.status().healthy()) {
                System.out.println("hmac=" + HexFormat.of().formatHex(
                        backend.hmac(args[2].getBytes(StandardCharsets.UTF_8))));
            }
        }
    }
}
