package dev.rotakey.target.files;

import dev.rotakey.core.Secret;
import dev.rotakey.target.CertificateMaterial;
import dev.rotakey.target.Delivery;
import dev.rotakey.target.Revocation;
import dev.rotakey.target.Target;
import dev.rotakey.target.TargetBinding;
import dev.rotakey.target.TargetContractTest;
import dev.rotakey.target.files.TestCertificateAuthority.KeyType;
import dev.rotakey.target.files.TestCertificateAuthority.Leaf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the target contract against a {@code local-files} target delivering certificates: each
 * "material" is a freshly issued leaf, the secret the contract sees is its certificate PEM (what
 * revocations match on) and the delivery carries its chain and private key.
 */
class LocalFilesCertificateContractTest extends TargetContractTest {
    private static final TestCertificateAuthority CA = TestCertificateAuthority.create("Contract", KeyType.EC);
    private static final AtomicInteger LEAVES = new AtomicInteger();

    @TempDir
    Path dir;

    private final Map<Secret, CertificateMaterial> issued = new IdentityHashMap<>();

    @AfterEach
    void destroyKeys() {
        issued.values().forEach(CertificateMaterial::destroy);
    }

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
    protected Secret newMaterial() {
        Leaf leaf = CA.leaf("leaf-" + LEAVES.incrementAndGet(), KeyType.EC);
        Secret certificate = Secret.of(leaf.certificatePem());
        issued.put(certificate, leaf.exported());
        return certificate;
    }

    @Override
    protected Delivery delivery(String credentialId, int version, Secret material) {
        return new Delivery("agent-" + credentialId, credentialId, "certificate", version, binding(credentialId),
                material, issued.get(material));
    }

    @Override
    protected Revocation revocation(String credentialId, int version, Secret material) {
        return new Revocation("agent-" + credentialId, credentialId, "certificate", version, binding(credentialId),
                matcherFor(material));
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
