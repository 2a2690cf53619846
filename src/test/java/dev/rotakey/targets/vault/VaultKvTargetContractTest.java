package dev.rotakey.targets.vault;

import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetContractTest;
import dev.rotakey.testing.VaultTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Runs the target contract for API keys against a {@code vault-kv} target on an in-process Vault, over HTTP. */
class VaultKvTargetContractTest extends TargetContractTest {
    private static VaultTestServer server;

    @TempDir
    Path dir;

    private String prefix;

    @BeforeAll
    static void startVault() {
        server = VaultTestServer.start();
    }

    @AfterAll
    static void stopVault() {
        server.stop();
    }

    @Override
    protected Target newTarget() {
        prefix = VaultKvTargets.uniquePrefix();
        return VaultKvTargets.factory(server, dir, prefix).build("vault");
    }

    @Override
    protected TargetBinding binding(String credentialId) {
        return new TargetBinding("vault", Map.of("path", "agents/" + credentialId + "/api-key"));
    }

    @Override
    protected boolean canReadBack() {
        return true;
    }

    /** The latest KV version's key, as anyone with read access sees it. */
    @Override
    protected Optional<byte[]> readBack(TargetBinding binding) {
        return VaultKvTargets.direct(server).read(prefix + "/" + binding.param("path"), 0)
                .map(data -> data.get("key"))
                .map(key -> key.getBytes(StandardCharsets.UTF_8));
    }
}
