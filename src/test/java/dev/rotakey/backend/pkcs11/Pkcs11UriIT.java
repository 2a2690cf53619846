package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.BackendSecureRandom;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.Test;

import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 7512 URIs for keys on a token, and the backend's RNG as a JCA SecureRandom. */
class Pkcs11UriIT {

    @Test
    void pathAttributeValuesArePercentEncodedWhereRfc7512RequiresIt() {
        assertThat(Pkcs11Uri.encode("rotakey-leaf-c1-2-0a1b")).isEqualTo("rotakey-leaf-c1-2-0a1b");
        assertThat(Pkcs11Uri.encode("My Token;x/y?z")).isEqualTo("My%20Token%3Bx%2Fy%3Fz");
        assertThat(Pkcs11Uri.encode("é")).isEqualTo("%C3%A9");
        assertThat(Pkcs11Uri.encode("a%b")).isEqualTo("a%25b");
    }

    @Test
    void aKeyUriNamesTheTokenTheObjectAndThePrivateKeyType() {
        try (KeyBackend backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm")) {
            assertThat(backend.keyUri("rotakey-leaf-x-1-ff"))
                    .isEqualTo("pkcs11:token=" + SoftHsmTokens.TEST + ";object=rotakey-leaf-x-1-ff;type=private");
        }
    }

    @Test
    void theBackendRngDrivesJvmKeyGenerationAndNeverRepeats() throws Exception {
        try (KeyBackend backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm")) {
            backend.start();
            BackendSecureRandom random = new BackendSecureRandom(backend);
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 50; i++) {
                byte[] b = new byte[3000]; // more than one backend request
                random.nextBytes(b);
                assertThat(seen.add(HexFormat.of().formatHex(b))).isTrue();
                assertThat(b).as("tail filled too").isNotEqualTo(new byte[3000]);
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), random);
            assertThat(g.generateKeyPair().getPublic()).isNotEqualTo(g.generateKeyPair().getPublic());
            assertThat(random.toString()).doesNotContain("@");
        }
    }
}
