package dev.rotakey.backend.pkcs11;

import dev.rotakey.testing.SoftHsmTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.rotakey.backend.KeyBackendUnavailableException;

import javax.crypto.Mac;
import java.nio.charset.StandardCharsets;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.Security;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The session copy of the HMAC key on a real SoftHSM2 token: the same HMACs as the token object, sensitive and never
 * extractable, no new token object, and gone when the connection goes.
 */
class SessionKeyHmacIT {
    private static final String LABEL = Pkcs11KeyBackendFactory.DEFAULT_HMAC_KEY_LABEL;

    private final List<Pkcs11KeyBackend> opened = new ArrayList<>();

    @BeforeAll
    static void tokens() {
        SoftHsmTokens.ensure();
    }

    @AfterEach
    void closeBackends() {
        opened.forEach(Pkcs11KeyBackend::close);
    }

    private Pkcs11KeyBackend started() {
        Pkcs11KeyBackend backend = (Pkcs11KeyBackend) SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        opened.add(backend);
        backend.start();
        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
        return backend;
    }

    private static Pkcs11Calls calls() throws Exception {
        return new Pkcs11Calls(Pkcs11Module.open(SoftHsmTokens.library()).wrapper());
    }

    /** The HMAC under the token object itself, through SunPKCS11: what every stored digest was made with. */
    private static byte[] tokenObjectHmac(TokenConnection c, byte[] data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance(TokenConnection.MAC_ALGORITHM, c.provider());
        mac.init(c.store().getKey(LABEL, null));
        return mac.doFinal(data);
    }

    @Test
    void theBackendHmacsWithASessionCopyThatGivesTheTokenKeysResults() throws Exception {
        Pkcs11KeyBackend backend = started();
        TokenConnection c = backend.connection();

        assertThat(c.hmac()).isInstanceOf(SessionKeyHmac.class);
        for (String input : List.of("", "rk_live_0123456789abcdef", "x".repeat(4096))) {
            byte[] data = input.getBytes(StandardCharsets.UTF_8);
            assertThat(backend.hmac(data)).isEqualTo(tokenObjectHmac(c, data));
        }
    }

    @Test
    void theCopyIsASensitiveNeverExtractableSessionObject() throws Exception {
        SessionKeyHmac copy = (SessionKeyHmac) started().connection().hmac();
        Pkcs11Calls calls = calls();
        long session = copy.ownerSession();
        long key = copy.keyHandle();

        assertThat(calls.booleanAttribute(session, key, Pkcs11Calls.CKA_TOKEN)).isFalse();
        assertThat(calls.booleanAttribute(session, key, Pkcs11Calls.CKA_SENSITIVE)).isTrue();
        assertThat(calls.booleanAttribute(session, key, Pkcs11Calls.CKA_EXTRACTABLE)).isFalse();
        assertThat(calls.booleanAttribute(session, key, Pkcs11Calls.CKA_NEVER_EXTRACTABLE)).isTrue();
        assertThatThrownBy(() -> calls.byteAttribute(session, key, Pkcs11Calls.CKA_VALUE))
                .hasMessageContaining("CKR_ATTRIBUTE_SENSITIVE");
    }

    @Test
    void theTokenStillHoldsOneKeyOfTheLabel() throws Exception {
        SessionKeyHmac copy = (SessionKeyHmac) started().connection().hmac();

        assertThat(calls().findTokenSecretKeys(copy.ownerSession(), LABEL, 8)).hasSize(1);
        String listing = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.TEST, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");
        assertThat(SoftHsmTokens.objectsLabelled(listing, LABEL)).hasSize(1);
    }

    @Test
    void aLogoutTakesTheCopyAndAReconnectMakesANewOne() throws Exception {
        Pkcs11KeyBackend backend = started();
        byte[] digest = backend.hmac("same".getBytes(StandardCharsets.UTF_8));
        SessionKeyHmac old = (SessionKeyHmac) backend.connection().hmac();
        long slot = Pkcs11Module.open(SoftHsmTokens.library()).find(SoftHsmTokens.TEST).orElseThrow().slotId();
        AuthProvider intruder = (AuthProvider) Security.getProvider("SunPKCS11")
                .configure("--name=intruder\nlibrary=" + SoftHsmTokens.library() + "\nslot=" + slot + "\n");

        intruder.logout();

        assertThatThrownBy(() -> backend.hmac(new byte[1])).isInstanceOf(KeyBackendUnavailableException.class)
                .hasMessageContaining("CKR_OBJECT_HANDLE_INVALID");
        assertThat(backend.reconnect().healthy()).as(backend.status().message()).isTrue();

        SessionKeyHmac fresh = (SessionKeyHmac) backend.connection().hmac();
        assertThat(fresh).isNotSameAs(old);
        assertThat(backend.hmac("same".getBytes(StandardCharsets.UTF_8))).isEqualTo(digest);
        assertThatThrownBy(() -> calls().booleanAttribute(old.ownerSession(), old.keyHandle(), Pkcs11Calls.CKA_TOKEN))
                .isInstanceOf(GeneralSecurityException.class);
        assertThatThrownBy(() -> old.hmac(new byte[1])).isInstanceOf(GeneralSecurityException.class);
    }

    @Test
    void aCopyThatDoesNotGiveTheReferenceHmacIsRefused() throws Exception {
        Pkcs11KeyBackend backend = started();
        long slot = Pkcs11Module.open(SoftHsmTokens.library()).find(SoftHsmTokens.TEST).orElseThrow().slotId();
        TokenHmac wrongKey = new TokenHmac() {
            @Override
            public byte[] hmac(byte[] data) {
                return new byte[32];
            }

            @Override
            public void close() {
            }
        };

        assertThatThrownBy(() -> SessionKeyHmac.copy(calls(), slot, LABEL, wrongKey))
                .isInstanceOf(GeneralSecurityException.class)
                .hasMessageContaining("no session copy of the key labelled '" + LABEL + "' gives its HMAC");
        assertThat(backend.hmac(new byte[1])).isEqualTo(tokenObjectHmac(backend.connection(), new byte[1]));
    }
}
