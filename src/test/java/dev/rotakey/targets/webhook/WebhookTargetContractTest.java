package dev.rotakey.targets.webhook;

import dev.rotakey.config.SecretSource;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the target contract against a {@code webhook} target with a verify URL, posting to a loopback
 * receiver that keeps the versions it is given the way a consumer would; read-back goes through the
 * newest version the receiver still holds.
 */
class WebhookTargetContractTest extends TargetContractTest {
    private static final String SECRET = "contract-test-shared-secret-0123456789abcdef";

    @TempDir
    Path tmp;
    private WebhookReceiver receiver;

    @Override
    protected Target newTarget() throws Exception {
        receiver = WebhookReceiver.http(SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(5));
        Path file = tmp.resolve("webhook.key");
        Files.writeString(file, SECRET);
        WebhookTargetFactory factory = new WebhookTargetFactory();
        factory.setUrl(receiver.url(WebhookReceiver.HOOK));
        factory.setVerifyUrl(receiver.url(WebhookReceiver.VERIFY));
        factory.setAllowHttp(true);
        factory.setSecret(SecretSource.fromFile(file.toString()));
        return factory.build("hooks");
    }

    @Override
    protected TargetBinding binding(String credentialId) {
        return new TargetBinding("hooks", Map.of("consumer", "consumer-" + credentialId));
    }

    @Override
    protected boolean canReadBack() {
        return true;
    }

    @Override
    protected Optional<byte[]> readBack(TargetBinding binding) {
        String credential = binding.param("consumer").substring("consumer-".length());
        return receiver.newest(credential).map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stopReceiver() {
        if (receiver != null) {
            receiver.close();
        }
    }
}
