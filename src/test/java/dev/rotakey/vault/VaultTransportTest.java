package dev.rotakey.vault;

import dev.rotakey.config.SecretSource;
import dev.rotakey.testing.VaultTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both ways a request can travel (the driver's {@code Rest}, or the {@code HttpClient} directly when
 * the platform charset is not UTF-8) carry non-ASCII values intact, 204s and 404s included.
 */
class VaultTransportTest {
    @TempDir
    Path tmp;

    private VaultTestServer vault;
    private VaultSession session;

    @BeforeEach
    void start() throws Exception {
        vault = VaultTestServer.start();
        VaultConnectionFactory f = new VaultConnectionFactory();
        f.setAddress(vault.address());
        VaultAuthFactory auth = new VaultAuthFactory();
        auth.setMethod(VaultAuthFactory.Method.TOKEN);
        auth.setToken(SecretSource.fromFile(Files.writeString(tmp.resolve("token"), vault.rootToken()).toString()));
        f.setAuth(auth);
        session = f.open("test", Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        session.close();
        vault.stop();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void nonAsciiValuesRoundTrip(boolean direct) {
        VaultSession s = session.withDirectTransport(direct);
        String value = "pässwörd-日本-🔑";

        s.write("secret/data/agents/a1", Map.of("data", Map.of("value", value)));
        VaultResponse read = s.read("secret/data/agents/a1");

        assertThat(read.data().path("data").path("value").asText()).isEqualTo(value);
        assertThat(s.read("secret/data/agents/none").found()).isFalse();
        s.write("transit/keys/k", Map.of("type", "ecdsa-p256"));
        s.write("transit/keys/k/rotate", Map.of());
        s.write("transit/keys/k/config", Map.of("min_decryption_version", 2, "min_encryption_version", 2));
        assertThat(s.write("transit/keys/k/trim", Map.of("min_available_version", 2)).status()).isEqualTo(204);
        s.close();
    }
}
