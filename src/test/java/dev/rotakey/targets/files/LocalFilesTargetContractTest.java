package dev.rotakey.targets.files;

import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetContractTest;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the target contract against a {@code local-files} target in a temporary directory; suites of
 * decorators extend it and wrap {@link #newTarget()}.
 */
public class LocalFilesTargetContractTest extends TargetContractTest {
    @TempDir
    protected Path dir;

    @Override
    protected Target newTarget() {
        LocalFilesTargetFactory factory = new LocalFilesTargetFactory();
        factory.setDirectory(dir.resolve("delivered").toString());
        return factory.build("local-files");
    }

    @Override
    protected TargetBinding binding(String credentialId) {
        return new TargetBinding("local-files", Map.of("path", "agents/" + credentialId + "/api-key"));
    }

    @Override
    protected boolean canReadBack() {
        return true;
    }

    @Override
    protected Optional<byte[]> readBack(TargetBinding binding) throws Exception {
        Path file = dir.resolve("delivered").resolve(binding.param("path"));
        return Files.exists(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
    }
}
