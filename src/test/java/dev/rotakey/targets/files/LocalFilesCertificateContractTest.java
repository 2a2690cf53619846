package dev.rotakey.targets.files;

import dev.rotakey.targets.CertificateTargetContractTest;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the target contract against a {@code local-files} target delivering certificates: each
 * "material" is a freshly issued leaf, the secret the contract sees is its certificate PEM (what
 * revocations match on) and the delivery carries its chain and private key.
 */
class LocalFilesCertificateContractTest extends CertificateTargetContractTest {

    @TempDir
    Path dir;

    @Override
    protected Target newTarget() {
        LocalFilesTargetFactory factory = new LocalFilesTargetFactory();
        factory.setDirectory(dir.resolve("delivered").toString());
        return factory.build("local-files");
    }

    @Override
    protected TargetBinding binding(String credentialId) {
        return new TargetBinding("local-files", Map.of("path", "agents/" + credentialId + "/tls"));
    }

    @Override
    protected boolean canReadBack() {
        return true;
    }

    @Override
    protected Optional<byte[]> readBack(TargetBinding binding) throws Exception {
        Path file = dir.resolve("delivered").resolve(binding.param("path")).resolve("cert.pem");
        return Files.exists(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
    }
}
