package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendAuthenticationException;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.SecretUnavailableException;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the PIN comes from, and what the backend does when the token rejects it. */
class Pkcs11KeyBackendPinIT {
    private static final String WRONG_PIN = "wrong-pin-7f3a";

    private final List<KeyBackend> opened = new ArrayList<>();

    @BeforeAll
    static void tokens() {
        SoftHsmTokens.ensure();
    }

    @AfterEach
    void closeBackends() {
        opened.forEach(KeyBackend::close);
    }

    /**
     * SoftHSM never locks a PIN but flags "user PIN count low" after a wrong login until the next
     * good one. Clearing the flag from another process and finding it still clear after many
     * reconnects shows the backend did not try the wrong PIN again.
     */
    @Test
    void aRejectedPinIsNeverTriedAgainUntilItChanges(@TempDir Path dir) throws IOException {
        Path pinFile = secretFile(dir, WRONG_PIN);
        Pkcs11KeyBackendFactory factory = SoftHsmTokens.factory(SoftHsmTokens.PIN);
        factory.setPin(SecretSource.fromFile(pinFile.toString()));
        KeyBackend backend = factory.build("hsm");
        opened.add(backend);

        backend.start();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message())
                .startsWith("PIN rejected by token 'rotakey-pin' (CKR_PIN_INCORRECT)")
                .contains("keyBackends.hsm.pin")
                .doesNotContain(WRONG_PIN);
        assertThatThrownBy(() -> backend.hmac(new byte[1]))
                .isExactlyInstanceOf(KeyBackendAuthenticationException.class)
                .hasMessageNotContaining(WRONG_PIN);
        assertThatThrownBy(() -> backend.randomBytes(8)).isExactlyInstanceOf(KeyBackendAuthenticationException.class);
        assertThat(pinCountLow(SoftHsmTokens.PIN)).as("the wrong login reached the token").isTrue();

        SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.PIN, "--login", "--pin", SoftHsmTokens.USER_PIN,
                "--list-objects");
        assertThat(pinCountLow(SoftHsmTokens.PIN)).as("a good login clears the flag").isFalse();

        for (int i = 0; i < 20; i++) {
            assertThat(backend.reconnect().healthy()).isFalse();
        }

        assertThat(pinCountLow(SoftHsmTokens.PIN)).as("reconnect() with the same PIN logged in again").isFalse();
        assertThat(backend.status().message()).contains("not trying it again").doesNotContain(WRONG_PIN);
        assertThat(backend.toString()).doesNotContain(WRONG_PIN);
        assertThat(factory.toString()).doesNotContain(WRONG_PIN);

        Files.writeString(pinFile, SoftHsmTokens.USER_PIN);
        assertThat(backend.reconnect().healthy()).as(backend.status().message()).isTrue();
        assertThat(backend.hmac(new byte[1])).hasSize(32);
    }

    @Test
    void theRightPinWorksAfterAWrongOne(@TempDir Path dir) throws IOException {
        Pkcs11KeyBackendFactory wrong = SoftHsmTokens.factory(SoftHsmTokens.PIN);
        wrong.setPin(SecretSource.fromFile(secretFile(dir, WRONG_PIN).toString()));
        KeyBackend rejected = wrong.build("hsm");
        opened.add(rejected);
        rejected.start();
        assertThat(rejected.status().healthy()).isFalse();
        rejected.close();

        KeyBackend backend = SoftHsmTokens.factory(SoftHsmTokens.PIN).build("hsm");
        opened.add(backend);
        backend.start();

        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
        assertThat(pinCountLow(SoftHsmTokens.PIN)).isFalse();
    }

    @Test
    void pinFromAFile() {
        Pkcs11KeyBackendFactory factory = SoftHsmTokens.factory(SoftHsmTokens.TEST);
        factory.setPin(SecretSource.fromFile(SoftHsmTokens.pinFile().toString()));
        KeyBackend backend = factory.build("hsm");
        opened.add(backend);
        backend.start();

        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
        assertThat(backend.status().message()).doesNotContain(SoftHsmTokens.USER_PIN);
        assertThat(backend.toString().replace(SoftHsmTokens.pinFile().toString(), ""))
                .doesNotContain(SoftHsmTokens.USER_PIN);
    }

    /**
     * A JVM cannot set its own environment, so the backend runs in a child JVM with the variable
     * set; its HMAC equals this JVM's, which also shows the key is the token's, not the process's.
     */
    @Test
    void pinFromAnEnvironmentVariable() throws Exception {
        KeyBackend here = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        opened.add(here);
        here.start();
        String expected = HexFormat.of().formatHex(here.hmac("from env".getBytes(StandardCharsets.UTF_8)));

        String output = Pkcs11ChildProbe.run(true, Map.of("ROTAKEY_TEST_PIN", SoftHsmTokens.USER_PIN),
                SoftHsmTokens.TEST, "ROTAKEY_TEST_PIN", "from env");

        assertThat(output).contains("healthy=true").contains("hmac=" + expected);
    }

    @Test
    void anUnsetPinVariableStopsTheBuildNamingTheConfigKey() {
        Pkcs11KeyBackendFactory factory = SoftHsmTokens.factory(SoftHsmTokens.TEST);
        factory.setPin(SecretSource.fromEnv("ROTAKEY_TEST_PIN_THAT_IS_NOT_SET"));

        assertThatThrownBy(() -> factory.build("hsm"))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("keyBackends.hsm.pin")
                .hasMessageContaining("ROTAKEY_TEST_PIN_THAT_IS_NOT_SET");
    }

    @Test
    void aPinFileRemovedAfterBuildLeavesReconnectOffline(@TempDir Path dir) throws IOException {
        Path pinFile = secretFile(dir, SoftHsmTokens.USER_PIN);
        Pkcs11KeyBackendFactory factory = SoftHsmTokens.factory("rotakey-no-such-token");
        factory.setPin(SecretSource.fromFile(pinFile.toString()));
        KeyBackend backend = factory.build("hsm");
        opened.add(backend);
        backend.start();
        Files.delete(pinFile);

        assertThat(backend.reconnect().healthy()).isFalse();
        assertThat(backend.status().message()).contains("keyBackends.hsm.pin").contains("cannot read secret file");
    }

    private static Path secretFile(Path dir, String content) throws IOException {
        Path file = dir.resolve("pin");
        Files.writeString(file, content);
        return file;
    }

    /** Reads the token flags from another process, so nothing this JVM caches can hide a failed login. */
    private static boolean pinCountLow(String label) {
        String slots = SoftHsmTokens.pkcs11Tool("--list-token-slots");
        for (String slot : slots.split("\n(?=Slot )")) {
            if (slot.matches("(?s).*token label\\s*:\\s*" + label + "\\s*\n.*")) {
                return slot.contains("user PIN count low");
            }
        }
        throw new AssertionError("token " + label + " not listed by pkcs11-tool:\n" + slots);
    }
}
