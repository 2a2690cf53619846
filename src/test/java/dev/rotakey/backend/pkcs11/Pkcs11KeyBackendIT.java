package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.AuthProvider;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The PKCS#11 backend against a real SoftHSM2 token: RNG, HMAC, key persistence and offline start-up. */
class Pkcs11KeyBackendIT {
    private static final String RESTART_KEY_LABEL = "rotakey-hmac-restart-test";

    private final List<KeyBackend> opened = new ArrayList<>();

    @BeforeAll
    static void tokens() {
        SoftHsmTokens.ensure();
    }

    @AfterEach
    void closeBackends() {
        opened.forEach(KeyBackend::close);
    }

    private KeyBackend started(Pkcs11KeyBackendFactory factory) {
        KeyBackend backend = factory.build("hsm");
        opened.add(backend);
        backend.start();
        return backend;
    }

    /** Name, type, health, RNG and HMAC in general are in {@link Pkcs11KeyBackendContractIT}. */
    @Test
    void startsOnASoftHsmTokenNamedInTheStatusAndHmacKeyId() {
        KeyBackend backend = started(SoftHsmTokens.factory(SoftHsmTokens.TEST));

        assertThat(backend.status().message()).contains(SoftHsmTokens.TEST);
        assertThat(backend.hmacKeyId()).isEqualTo("pkcs11:rotakey-test/rotakey-hmac-v1");
    }

    @Test
    void aNegativeRandomLengthIsRefused() {
        KeyBackend backend = started(SoftHsmTokens.factory(SoftHsmTokens.TEST));

        assertThatThrownBy(() -> backend.randomBytes(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hmacGivesTheSameResultsFromSeveralThreads() throws Exception {
        KeyBackend backend = started(SoftHsmTokens.factory(SoftHsmTokens.TEST));
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            expected.add(backend.hmac(bytes("input-" + i)));
        }

        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 5; round++) {
                        for (int i = 0; i < expected.size(); i++) {
                            if (!Arrays.equals(backend.hmac(bytes("input-" + i)), expected.get(i))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void hmacKeySurvivesRestartsAndIsCreatedOnlyOnce() {
        Pkcs11KeyBackendFactory factory = SoftHsmTokens.factory(SoftHsmTokens.TEST);
        factory.setHmacKeyLabel(RESTART_KEY_LABEL);
        byte[] expected = null;
        for (int start = 0; start < 3; start++) {
            KeyBackend backend = started(factory);
            assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
            byte[] digest = backend.hmac(bytes("same input"));
            if (expected == null) {
                expected = digest;
            }
            assertThat(digest).isEqualTo(expected);
            backend.close();
        }

        String objects = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.TEST, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");
        assertThat(objectsLabelled(objects, RESTART_KEY_LABEL)).hasSize(1);
    }

    @Test
    void hmacKeyIsSensitiveAndNeverExtractable() {
        KeyBackend backend = started(SoftHsmTokens.factory(SoftHsmTokens.TEST));
        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();

        String objects = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.TEST, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");

        List<String> keys = objectsLabelled(objects, Pkcs11KeyBackendFactory.DEFAULT_HMAC_KEY_LABEL);
        assertThat(keys).hasSize(1);
        assertThat(keys.get(0))
                .startsWith("Secret Key Object; Generic secret length 32")
                .contains("always sensitive")
                .contains("never extractable")
                .doesNotContainPattern("Usage:.*(encrypt|decrypt|wrap)");
    }

    @Test
    void closingOneOfTwoBackendsOnATokenKeepsTheOtherLoggedIn() {
        KeyBackend first = started(SoftHsmTokens.factory(SoftHsmTokens.TEST));
        KeyBackend second = started(SoftHsmTokens.factory(SoftHsmTokens.TEST));
        byte[] digest = second.hmac(bytes("shared key"));
        assertThat(first.hmac(bytes("shared key"))).isEqualTo(digest);

        first.close();

        assertThat(second.hmac(bytes("shared key"))).isEqualTo(digest);
        assertThat(second.status().healthy()).isTrue();
    }

    /**
     * Logging the token out behind the backend's back (PKCS#11 login is per process) makes its
     * key handle invalid, the nearest thing to a device failure SoftHSM offers.
     */
    @Test
    void aFailingDeviceMakesOperationsUnavailableUntilReconnect() throws Exception {
        KeyBackend backend = started(SoftHsmTokens.factory(SoftHsmTokens.TEST));
        byte[] digest = backend.hmac(bytes("before"));
        long slot = Pkcs11Module.open(SoftHsmTokens.library()).find(SoftHsmTokens.TEST).orElseThrow().slotId();
        AuthProvider intruder = (AuthProvider) Security.getProvider("SunPKCS11")
                .configure("--name=intruder\nlibrary=" + SoftHsmTokens.library() + "\nslot=" + slot + "\n");

        intruder.logout();

        assertThatThrownBy(() -> backend.hmac(bytes("before")))
                .isExactlyInstanceOf(KeyBackendUnavailableException.class)
                .hasMessageContaining("CKR_OBJECT_HANDLE_INVALID")
                .hasRootCauseMessage("CKR_OBJECT_HANDLE_INVALID");
        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).contains("hmac on token 'rotakey-test' failed");

        assertThat(backend.reconnect().healthy()).as(backend.status().message()).isTrue();
        assertThat(backend.hmac(bytes("before"))).isEqualTo(digest);
    }

    @Test
    void missingTokenLeavesTheBackendOfflineWithoutThrowing() {
        Pkcs11KeyBackendFactory factory = SoftHsmTokens.factory("rotakey-no-such-token");
        KeyBackend backend = factory.build("hsm");
        opened.add(backend);

        assertThatCode(backend::start).doesNotThrowAnyException();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message())
                .contains("rotakey-no-such-token")
                .contains(SoftHsmTokens.library());
        assertThatThrownBy(() -> backend.hmac(bytes("x")))
                .isExactlyInstanceOf(KeyBackendUnavailableException.class)
                .hasMessageContaining("rotakey-no-such-token");
        assertThatThrownBy(() -> backend.randomBytes(32)).isExactlyInstanceOf(KeyBackendUnavailableException.class);
        assertThat(backend.reconnect().healthy()).isFalse();
    }

    @Test
    void missingLibraryIsReportedClearly() {
        Pkcs11KeyBackendFactory factory = SoftHsmTokens.factory(SoftHsmTokens.TEST);
        factory.setLibrary("/nonexistent/libpkcs11.so");
        KeyBackend backend = factory.build("hsm");
        opened.add(backend);

        assertThatCode(backend::start).doesNotThrowAnyException();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message())
                .isEqualTo("PKCS#11 library /nonexistent/libpkcs11.so does not exist or is not a file");
        assertThatThrownBy(() -> backend.hmac(bytes("x"))).isExactlyInstanceOf(KeyBackendUnavailableException.class);
    }

    @Test
    void withoutTheAddExportsTheStatusSaysWhatIsMissing() throws Exception {
        String output = Pkcs11ChildProbe.run(false, Map.of("ROTAKEY_TEST_PIN", SoftHsmTokens.USER_PIN),
                SoftHsmTokens.TEST, "ROTAKEY_TEST_PIN", "x");

        assertThat(output).contains("healthy=false")
                .contains("message=cannot reach the JDK's PKCS#11 wrapper to find tokens by label: start Java with "
                        + "--add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED");
    }

    @Test
    void operationsBeforeStartAndAfterCloseAreUnavailable() {
        KeyBackend backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        opened.add(backend);
        assertThat(backend.status().healthy()).isFalse();
        assertThatThrownBy(() -> backend.hmac(bytes("x"))).isExactlyInstanceOf(KeyBackendUnavailableException.class);

        backend.start();
        assertThat(backend.hmac(bytes("x"))).hasSize(32);
        backend.close();

        assertThat(backend.status().healthy()).isFalse();
        assertThat(backend.status().message()).isEqualTo("closed");
        assertThatThrownBy(() -> backend.hmac(bytes("x"))).isExactlyInstanceOf(KeyBackendUnavailableException.class);
        assertThatThrownBy(() -> backend.randomBytes(8)).isExactlyInstanceOf(KeyBackendUnavailableException.class);
    }

    static List<String> objectsLabelled(String listing, String label) {
        return SoftHsmTokens.objectsLabelled(listing, label);
    }

    static List<String> objects(String listing) {
        return SoftHsmTokens.objects(listing);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
