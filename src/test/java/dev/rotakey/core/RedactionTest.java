package dev.rotakey.core;

import dev.rotakey.api.VerifyKeyRequest;
import dev.rotakey.target.Delivery;
import dev.rotakey.target.TargetBinding;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every value type that carries secret material prints without it. */
class RedactionTest {
    private static final String KEY = ApiKeyFormat.format(new byte[32]);

    @Test
    void deliveryIssuedMaterialAndVerifyRequestNeverPrintTheKey() {
        Secret secret = Secret.of(KEY);
        Delivery d = new Delivery("agent", "cred", "api-key", 3, new TargetBinding("local-files", Map.of("path", "a/b")), secret);
        IssuedMaterial m = new IssuedMaterial(secret, "00ff", "pkcs11:rotakey/rotakey-hmac-v1");
        assertThat(d.toString()).doesNotContain(KEY).contains("cred").contains("version=3");
        assertThat(m.toString()).doesNotContain(KEY).doesNotContain("00ff");
        assertThat(new VerifyKeyRequest(KEY).toString()).doesNotContain(KEY);
        assertThat(secret.toString()).doesNotContain(KEY);
    }
}
